"""The lab_result schema: schema.json, content.yaml and hooks.py."""
