"""The clinic_visit schema: schema.json, content.yaml and hooks.py."""
