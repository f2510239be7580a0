"""The incident_report schema: schema.json, content.yaml and hooks.py."""
