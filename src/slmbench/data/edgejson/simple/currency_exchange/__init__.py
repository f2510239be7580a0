"""The currency_exchange schema: schema.json, content.yaml and hooks.py."""
