"""Inventory intelligence: demand forecasts per SKU, replenishment plans, and the backtest behind them."""
