"""The weather_observation schema: schema.json, content.yaml and hooks.py."""
