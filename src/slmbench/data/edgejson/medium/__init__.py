"""EdgeJSON schemas of the medium tier (one folder each)."""
