"""The chat_message schema: schema.json, content.yaml and hooks.py."""
