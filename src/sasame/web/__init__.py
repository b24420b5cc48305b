"""The dashboard: server-rendered pages and the JSON API over the same queries."""
