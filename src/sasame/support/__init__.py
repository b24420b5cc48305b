"""Support autopilot: understand customer messages, answer routine ones from live data, escalate the rest."""
