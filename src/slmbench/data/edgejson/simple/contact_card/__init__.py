"""The contact_card schema: schema.json, content.yaml and hooks.py."""
