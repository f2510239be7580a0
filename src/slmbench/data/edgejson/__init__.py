"""EdgeJSON's 24 schemas as data for the engine: `<tier>/<schema_id>/schema.json`, its
`content.yaml` and, where it has cross-field rules, `hooks.py` (`slmbench.data.synth.content`).
The folders are packages only so that tools import each `hooks.py` under its own name."""
