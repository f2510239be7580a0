"""EdgeJSON schemas of the simple tier (one folder each)."""
