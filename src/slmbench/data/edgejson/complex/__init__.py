"""EdgeJSON schemas of the complex tier (one folder each)."""
