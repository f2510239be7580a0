"""The parcel_status schema: schema.json, content.yaml and hooks.py."""
