"""The purchase_invoice schema: schema.json, content.yaml and hooks.py."""
