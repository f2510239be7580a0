"""The bank_transfer schema: schema.json, content.yaml and hooks.py."""
