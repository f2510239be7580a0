"""The service_config schema: schema.json, content.yaml and hooks.py."""
