"""The demo store's history as the platforms' real export files, for the import path a seller uses.

`export_demo_files(engine, folder)` reads a generated store and writes, under `folder`:

    shopify/orders_export_<YYYY-MM>.csv            Shopify orders export, 79 columns
    shopify/payment_transactions_export_<YYYY-MM>.csv  Shopify Payments transactions export
    amazon/settlements/<settlement-id>.txt         Amazon settlement report, flat file V2
    amazon/<YYYY-MM>MonthlyTransaction.csv         Amazon date range transaction report (orders)
    etsy/EtsySoldOrderItems<YEAR>.csv              Etsy Sold Order Items
    etsy/EtsySoldOrders<YEAR>.csv                  Etsy Sold Orders
    etsy/etsy_statement_<YEAR>_<M>.csv             Etsy monthly statement
    meta_ads/Sasame-Ads-<YYYY-MM>.csv              Meta Ads Manager, ad level by day
    google_ads/Ad report <YYYY-MM>.csv             Google Ads ad report by day
    klaviyo/campaigns.csv, klaviyo/flows_<YYYY-MM>.csv

See docs/demo.md ("Export files") for what each format cannot carry.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from sasame.demo.exports import amazon, etsy, marketing, shopify, shopify_payments
from sasame.demo.exports.common import store


def export_demo_files(engine: Engine, folder: Path) -> list[Path]:
    """Write the store's history as platform export files under `folder`; return them in import order."""
    folder = Path(folder)
    with engine.connect() as connection:
        settings = store(connection)
        paths = [
            *shopify.write_orders(connection, settings, folder / "shopify"),
            *shopify_payments.write_transactions(connection, settings, folder / "shopify"),
            *amazon.write_transaction_reports(connection, settings, folder / "amazon"),
            *amazon.write_settlements(connection, settings, folder / "amazon"),
            *etsy.write_orders(connection, settings, folder / "etsy"),
            *etsy.write_statements(connection, settings, folder / "etsy"),
            *marketing.write_meta(connection, settings, folder / "meta_ads"),
            *marketing.write_google(connection, settings, folder / "google_ads"),
            *marketing.write_klaviyo(connection, settings, folder / "klaviyo"),
        ]
        connection.info.pop("sasame.demo.exports.order_books", None)
    return paths


__all__ = ["export_demo_files"]
