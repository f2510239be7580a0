"""The feature_flag schema: schema.json, content.yaml and hooks.py."""
