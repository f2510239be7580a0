"""The bookmark schema: schema.json, content.yaml and hooks.py."""
