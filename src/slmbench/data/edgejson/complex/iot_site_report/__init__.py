"""The iot_site_report schema: schema.json, content.yaml and hooks.py."""
