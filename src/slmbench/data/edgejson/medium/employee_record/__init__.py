"""The employee_record schema: schema.json, content.yaml and hooks.py."""
