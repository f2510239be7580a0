"""The hotel_reservation schema: schema.json, content.yaml and hooks.py."""
