"""Textual widgets, one concept a file. None imports torch: the engine reaches them as arrays."""
