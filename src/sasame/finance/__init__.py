"""Finance: the double-entry ledger, COGS that follows the stock, the daily P&L and reconciliation."""
