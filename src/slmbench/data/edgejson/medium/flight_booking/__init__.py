"""The flight_booking schema: schema.json, content.yaml and hooks.py."""
