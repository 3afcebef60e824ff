"""Reports drawn for people: the hygiene chart (matplotlib, offline, no display)."""
