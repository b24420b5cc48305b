"""Deterministic generator of a realistic demo store, with its ground truth kept for checking."""
