"""The sensor_alert schema: schema.json, content.yaml and hooks.py."""
