"""The purchase_order schema: schema.json, content.yaml and hooks.py."""
