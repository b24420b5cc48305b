"""Runs connectors into the database: detect → parse → validate → upsert; and the fast bulk writer."""
