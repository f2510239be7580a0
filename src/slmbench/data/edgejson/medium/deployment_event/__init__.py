"""The deployment_event schema: schema.json, content.yaml and hooks.py."""
