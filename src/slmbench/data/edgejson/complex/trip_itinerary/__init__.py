"""The trip_itinerary schema: schema.json, content.yaml and hooks.py."""
