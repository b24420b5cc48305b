"""Deterministic generator of a realistic demo store, with its ground truth kept for checking."""

DEMO_OWNER_EMAIL = "owner@demo.sasame.dev"
"""The demo store's owner: its dashboard login, and the sender of its support history."""
DEMO_OWNER_PASSWORD = "sasame-demo"
"""Printed by `sasame demo`; only ever created in a demo store."""
