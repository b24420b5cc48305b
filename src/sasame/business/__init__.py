"""The business itself: its settings (name, currency, timezone), read by every engine."""
