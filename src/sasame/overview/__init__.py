"""Read-only figures for the dashboard's overview and area pages."""
