"""Sync a Shopify store through the Admin GraphQL API: products, orders (with refunds and
fulfilments), then inventory levels, each written through the same upserts as a file import.

Products and orders are incremental: each stream keeps the newest `updatedAt` it has seen and asks
next time for `updated_at:>=` that instant (>=, not >, so objects sharing the last second are not
lost; reading one twice is harmless). Inventory is a small snapshot (a few hundred SKUs), read
whole each time. Everything happens in the caller's transaction: a failed sync stores nothing,
cursors included, and the next run starts from the same place.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from sasame.business.service import store_settings
from sasame.connectors.base import ParseContext
from sasame.connectors.payloads import Node
from sasame.connectors.records import Record, StockLevelRecord
from sasame.connectors.shopify.client import ShopifyClient
from sasame.connectors.shopify.graphql import (
    INVENTORY_QUERY,
    ORDERS_QUERY,
    PRODUCTS_QUERY,
    SHOP_QUERY,
    order_records,
    product_record,
    stock_level_records,
)
from sasame.core.clock import zone
from sasame.ingest.service import money_totals, write
from sasame.ingest.sync import SyncSummary, read_cursor, save_cursor
from sasame.ingest.upsert import Upserter, upsert_stock_levels

STREAMS = ("products", "orders", "inventory")


def sync_shopify(
    session: Session, client: ShopifyClient, *, now: datetime, streams: Iterable[str] = STREAMS
) -> SyncSummary:
    """Fetch what changed since the stored cursors and upsert it; the caller commits."""
    wanted = set(streams)
    settings = store_settings(session)
    context = ParseContext(timezone=zone(settings.timezone), currency=settings.currency)
    summary = SyncSummary(platform="shopify")
    upserter = Upserter(session, now=now, timezone=context.timezone, source_file=None)
    shop = Node(client.query(SHOP_QUERY).get("shop") or {}, file="Shopify shop", row=None)
    currency = shop.text("currencyCode") or context.currency
    records: list[Record] = []

    if "products" in wanted:
        products = _changed(client, session, "products", PRODUCTS_QUERY)
        records += [
            product_record(node, currency, context, origin="shopify.graphql.products") for node in products
        ]
        _finish(session, summary, "products", products, now)
    if "orders" in wanted:
        orders = _changed(client, session, "orders", ORDERS_QUERY)
        for node in orders:
            records += order_records(node, context, origin="shopify.graphql.orders")
        _finish(session, summary, "orders", orders, now)
    write(upserter, records)  # products first, then orders, refunds, shipments

    if "inventory" in wanted:
        items = [
            Node(raw, file="Shopify inventoryItems", row=None, path=str(raw.get("id", "")))
            for raw in client.pages(INVENTORY_QUERY, "inventoryItems")
        ]
        levels: list[StockLevelRecord] = []
        for item in items:
            levels += stock_level_records(item, now, origin="shopify.graphql.inventory")
        skipped = upsert_stock_levels(upserter, levels)
        if skipped:
            context.warn(
                f"Shopify inventory: {len(skipped)} SKU(s) not in the catalogue were skipped "
                f"(first: {', '.join(sorted(set(skipped))[:5])}); sync products first"
            )
        summary.fetched["inventory"] = len(items)
        save_cursor(session, "shopify.inventory", None, now)

    summary.records = upserter.outcome.as_json()
    summary.money = money_totals(records)
    summary.warnings = context.warnings
    return summary


def _changed(client: ShopifyClient, session: Session, stream: str, query: str) -> list[Node]:
    cursor = read_cursor(session, f"shopify.{stream}")
    search = f"updated_at:>='{cursor}'" if cursor else None
    return [
        Node(
            raw,
            file=f"Shopify {stream}",
            row=None,
            path=str(raw.get("name") or raw.get("handle") or raw.get("id")),
        )
        for raw in client.pages(query, stream, {"query": search})
    ]


def _finish(session: Session, summary: SyncSummary, stream: str, nodes: list[Node], now: datetime) -> None:
    """Move the stream's cursor to the newest updatedAt it read (kept as it was when nothing changed)."""
    newest = max((node.instant("updatedAt", required=True) for node in nodes), default=None)  # type: ignore[type-var]
    cursor = newest.strftime("%Y-%m-%dT%H:%M:%SZ") if newest else read_cursor(session, f"shopify.{stream}")
    save_cursor(session, f"shopify.{stream}", cursor, now)
    summary.fetched[stream] = len(nodes)
    summary.cursors[f"shopify.{stream}"] = cursor
