"""Shopify Admin GraphQL sync against a local server answering like Shopify: connections with
pageInfo, MoneyBag amounts, legacyResourceId, extensions.cost.throttleStatus, THROTTLED errors and
HTTP 429; then incremental re-syncs by updated_at, and the client's failure handling."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from local_api import Seen, local_api
from sqlalchemy import func, select

from sasame import models as m
from sasame.connectors.shopify.client import ShopifyAPIError, ShopifyClient, shop_endpoint
from sasame.connectors.shopify.sync import sync_shopify
from sasame.db import transaction

NOW = datetime(2026, 3, 6, 9, tzinfo=UTC)
TOKEN = "shpat_0123456789abcdef_never_in_logs"
PATH = "/admin/api/2025-01/graphql.json"


def money(amount: str, currency: str = "USD") -> dict[str, Any]:
    return {"shopMoney": {"amount": amount, "currencyCode": currency}}


def cost(available: float = 1950.0, requested: int = 252) -> dict[str, Any]:
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": 27,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": available,
                "restoreRate": 100.0,
            },
        }
    }


PRODUCTS = [
    {
        "id": "gid://shopify/Product/8112345678901",
        "legacyResourceId": "8112345678901",
        "handle": "linen-tee",
        "title": "Linen Tee",
        "productType": "Tops",
        "vendor": "Sasame Goods",
        "status": "ACTIVE",
        "updatedAt": "2026-02-20T10:00:00Z",
        "variants": {
            "nodes": [
                {
                    "id": "gid://shopify/ProductVariant/45112345678901",
                    "sku": "TEE-LIN-M",
                    "title": "M / Oat",
                    "price": "25.00",
                    "barcode": "0840012345678",
                    "selectedOptions": [{"name": "Size", "value": "M"}, {"name": "Color", "value": "Oat"}],
                    "inventoryItem": {
                        "unitCost": {"amount": "9.5", "currencyCode": "USD"},
                        "measurement": {"weight": {"unit": "GRAMS", "value": 180.0}},
                    },
                },
                {
                    "id": "gid://shopify/ProductVariant/45112345678903",
                    "sku": "",
                    "title": "Sample / Oat",
                    "price": "0.00",
                    "barcode": None,
                    "selectedOptions": [{"name": "Size", "value": "Sample"}],
                    "inventoryItem": {"unitCost": None, "measurement": {"weight": None}},
                },
            ]
        },
    },
    {
        "id": "gid://shopify/Product/8112345678902",
        "legacyResourceId": "8112345678902",
        "handle": "canvas-tote",
        "title": "Canvas Tote",
        "productType": "",
        "vendor": "Sasame Goods",
        "status": "ACTIVE",
        "updatedAt": "2026-02-21T10:00:00Z",
        "variants": {
            "nodes": [
                {
                    "id": "gid://shopify/ProductVariant/45112345678902",
                    "sku": "TOTE-CNV",
                    "title": "Default Title",
                    "price": "30.00",
                    "barcode": "",
                    "selectedOptions": [{"name": "Title", "value": "Default Title"}],
                    "inventoryItem": {
                        "unitCost": {"amount": "11.00", "currencyCode": "USD"},
                        "measurement": {"weight": {"unit": "POUNDS", "value": 0.77}},
                    },
                }
            ]
        },
    },
]

ORDERS = [
    {
        "id": "gid://shopify/Order/5891234567890",
        "legacyResourceId": "5891234567890",
        "name": "#1043",
        "createdAt": "2026-03-01T15:15:00Z",
        "processedAt": "2026-03-01T15:15:00Z",
        "updatedAt": "2026-03-05T14:00:00Z",
        "cancelledAt": None,
        "email": "ana.lima@example.com",
        "currencyCode": "USD",
        "taxesIncluded": False,
        "customerAcceptsMarketing": True,
        "displayFinancialStatus": "PARTIALLY_REFUNDED",
        "displayFulfillmentStatus": "FULFILLED",
        "discountCodes": ["WELCOME10"],
        "landingPageUrl": "https://shop.example.com/products/linen-tee?utm_source=google&utm_medium=cpc",
        "referrerUrl": "https://www.google.com/",
        "sourceName": "web",
        "customer": {"firstName": "Ana", "lastName": "Lima"},
        "shippingAddress": {"countryCodeV2": "US", "provinceCode": "NY", "city": "Brooklyn", "zip": "11201"},
        "billingAddress": {"countryCodeV2": "US", "provinceCode": "NY", "city": "Brooklyn", "zip": "11201"},
        "subtotalPriceSet": money("72.00"),
        "totalDiscountsSet": money("8.00"),
        "totalShippingPriceSet": money("5.00"),
        "totalTaxSet": money("5.76"),
        "totalPriceSet": money("82.76"),
        "customerJourneySummary": {
            "firstVisit": {
                "landingPage": "https://shop.example.com/products/linen-tee?utm_source=google&utm_medium=cpc",
                "referrerUrl": "https://www.google.com/",
                "utmParameters": {
                    "source": "google",
                    "medium": "cpc",
                    "campaign": "brand_search",
                    "content": None,
                    "term": "linen tee",
                },
            }
        },
        "lineItems": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                {
                    "id": "gid://shopify/LineItem/14001234567890",
                    "name": "Linen Tee - M / Oat",
                    "sku": "TEE-LIN-M",
                    "quantity": 2,
                    "originalUnitPriceSet": money("25.00"),
                    "totalDiscountSet": money("5.00"),
                    "taxLines": [{"priceSet": money("3.60")}],
                },
                {
                    "id": "gid://shopify/LineItem/14001234567891",
                    "name": "Canvas Tote",
                    "sku": "TOTE-CNV",
                    "quantity": 1,
                    "originalUnitPriceSet": money("30.00"),
                    "totalDiscountSet": money("3.00"),
                    "taxLines": [{"priceSet": money("2.16")}],
                },
            ],
        },
        "refunds": [
            {
                "id": "gid://shopify/Refund/9100123456789",
                "legacyResourceId": "9100123456789",
                "createdAt": "2026-03-05T14:00:00Z",
                "note": "Tote returned",
                "totalRefundedSet": money("32.16"),
            }
        ],
        "fulfillments": [
            {
                "id": "gid://shopify/Fulfillment/4400123456789",
                "legacyResourceId": "4400123456789",
                "name": "#1043-F1",
                "status": "SUCCESS",
                "displayStatus": "DELIVERED",
                "createdAt": "2026-03-02T14:00:00Z",
                "updatedAt": "2026-03-04T18:00:00Z",
                "deliveredAt": "2026-03-04T17:42:00Z",
                "estimatedDeliveryAt": "2026-03-04T23:00:00Z",
                "trackingInfo": [
                    {
                        "company": "UPS",
                        "number": "1Z999AA10123456784",
                        "url": "https://www.ups.com/track?tracknum=1Z999AA10123456784",
                    }
                ],
            }
        ],
    },
    {
        "id": "gid://shopify/Order/5891234567891",
        "legacyResourceId": "5891234567891",
        "name": "#1044",
        "createdAt": "2026-03-05T20:01:00Z",
        "processedAt": "2026-03-05T20:01:00Z",
        "updatedAt": "2026-03-05T20:01:05Z",
        "cancelledAt": None,
        "email": None,
        "currencyCode": "USD",
        "taxesIncluded": False,
        "customerAcceptsMarketing": False,
        "displayFinancialStatus": "AUTHORIZED",
        "displayFulfillmentStatus": "UNFULFILLED",
        "discountCodes": [],
        "landingPageUrl": None,
        "referrerUrl": None,
        "sourceName": "pos",
        "customer": None,
        "shippingAddress": None,
        "billingAddress": None,
        "subtotalPriceSet": money("30.00"),
        "totalDiscountsSet": money("0.00"),
        "totalShippingPriceSet": money("0.00"),
        "totalTaxSet": money("2.40"),
        "totalPriceSet": money("32.40"),
        "customerJourneySummary": None,
        "lineItems": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                {
                    "id": "gid://shopify/LineItem/14001234567899",
                    "name": "Canvas Tote",
                    "sku": "TOTE-CNV",
                    "quantity": 1,
                    "originalUnitPriceSet": money("30.00"),
                    "totalDiscountSet": money("0.00"),
                    "taxLines": [{"priceSet": money("2.40")}],
                }
            ],
        },
        "refunds": [],
        "fulfillments": [],
    },
]

INVENTORY = [
    {
        "id": "gid://shopify/InventoryItem/1",
        "sku": "TEE-LIN-M",
        "tracked": True,
        "inventoryLevels": {
            "nodes": [
                {
                    "updatedAt": "2026-03-05T12:00:00Z",
                    "location": {"legacyResourceId": "655441491", "name": "Main warehouse"},
                    "quantities": [{"name": "on_hand", "quantity": 40}, {"name": "committed", "quantity": 2}],
                }
            ]
        },
    },
    {
        "id": "gid://shopify/InventoryItem/2",
        "sku": "TOTE-CNV",
        "tracked": True,
        "inventoryLevels": {
            "nodes": [
                {
                    "updatedAt": "2026-03-05T12:00:00Z",
                    "location": {"legacyResourceId": "655441491", "name": "Main warehouse"},
                    "quantities": [{"name": "on_hand", "quantity": 12}, {"name": "committed", "quantity": 1}],
                }
            ]
        },
    },
    {
        "id": "gid://shopify/InventoryItem/3",
        "sku": "GIFT-CARD",
        "tracked": False,
        "inventoryLevels": {"nodes": []},
    },
    {
        "id": "gid://shopify/InventoryItem/4",
        "sku": "OLD-SKU-9",
        "tracked": True,
        "inventoryLevels": {
            "nodes": [
                {
                    "updatedAt": "2026-01-05T12:00:00Z",
                    "location": {"legacyResourceId": "655441491", "name": "Main warehouse"},
                    "quantities": [{"name": "on_hand", "quantity": 3}, {"name": "committed", "quantity": 0}],
                }
            ]
        },
    },
]


class FakeShopify:
    """Answers like Shopify's GraphQL endpoint; throttles the first orders page once and 429s once."""

    def __init__(self) -> None:
        self.throttled = False
        self.rate_limited = False

    def __call__(self, request: Seen) -> tuple[int, dict[str, str], Any]:
        if request.path != PATH:
            return 404, {}, {"errors": "Not Found"}
        if request.headers.get("x-shopify-access-token") != TOKEN:
            return (
                401,
                {},
                {"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"},
            )
        body = request.json()
        query, variables = body["query"], body.get("variables") or {}
        if "shop {" in query:
            return (
                200,
                {},
                {
                    "data": {
                        "shop": {
                            "name": "Sasame Goods",
                            "currencyCode": "USD",
                            "ianaTimezone": "America/New_York",
                        }
                    },
                    "extensions": cost(),
                },
            )
        if "products(" in query:
            return 200, {}, self.connection("products", PRODUCTS, variables, page=1)
        if "orders(" in query:
            if not self.rate_limited:
                self.rate_limited = True
                return (
                    429,
                    {"Retry-After": "2.0"},
                    {
                        "errors": "Exceeded 2 calls per second for api client. "
                        "Reduce request rates to resume uninterrupted service."
                    },
                )
            if not self.throttled:
                self.throttled = True
                return (
                    200,
                    {},
                    {
                        "errors": [
                            {
                                "message": "Throttled",
                                "extensions": {
                                    "code": "THROTTLED",
                                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                                },
                            }
                        ],
                        "extensions": {
                            "cost": {
                                "requestedQueryCost": 252,
                                "actualQueryCost": None,
                                "throttleStatus": {
                                    "maximumAvailable": 2000.0,
                                    "currentlyAvailable": 52,
                                    "restoreRate": 100.0,
                                },
                            }
                        },
                    },
                )
            return 200, {}, self.connection("orders", ORDERS, variables, page=1)
        if "inventoryItems(" in query:
            return 200, {}, self.connection("inventoryItems", INVENTORY, variables, page=3)
        return 200, {}, {"errors": [{"message": "Field 'x' doesn't exist on type 'QueryRoot'"}]}

    def connection(
        self, name: str, items: list[dict[str, Any]], variables: dict[str, Any], page: int
    ) -> dict[str, Any]:
        search = variables.get("query")
        if search:
            since = re.fullmatch(r"updated_at:>='(.+)'", search).group(1)  # type: ignore[union-attr]
            items = [item for item in items if item["updatedAt"] >= since]
        start = int(variables["after"].removeprefix("cursor-")) if variables.get("after") else 0
        chunk = items[start : start + page]
        more = start + page < len(items)
        return {
            "data": {
                name: {
                    "pageInfo": {
                        "hasNextPage": more,
                        "endCursor": f"cursor-{start + page}" if chunk else None,
                    },
                    "nodes": chunk,
                }
            },
            "extensions": cost(),
        }


def counts(engine) -> dict[str, Any]:
    with transaction(engine) as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        return {
            "products": count(m.Product),
            "variants": count(m.Variant),
            "orders": count(m.Order),
            "lines": count(m.OrderLine),
            "refunds": count(m.Refund),
            "shipments": count(m.Shipment),
            "stock_levels": count(m.StockLevel),
            "order_total": session.scalar(select(func.coalesce(func.sum(m.Order.total), 0))),
        }


def test_full_then_incremental_sync_over_a_real_socket(engine, caplog) -> None:
    waits: list[float] = []
    fake = FakeShopify()
    with (
        local_api(fake) as (url, seen),
        ShopifyClient(shop_endpoint(url), TOKEN, sleep=waits.append) as client,
    ):
        with caplog.at_level(logging.DEBUG), transaction(engine) as session:
            summary = sync_shopify(session, client, now=NOW)
        assert summary.fetched == {"products": 2, "orders": 2, "inventory": 4}
        assert summary.records["order"] == {"created": 2, "updated": 0, "unchanged": 0}
        assert summary.records["variant"] == {"created": 2, "updated": 0, "unchanged": 0}
        assert summary.records["refund"]["created"] == 1 and summary.records["shipment"]["created"] == 1
        assert summary.records["stock_level"] == {"created": 2, "updated": 0, "unchanged": 0}
        assert summary.money == {
            "order_total": {"USD": Decimal("115.16")},
            "refunds": {"USD": Decimal("32.16")},
        }
        assert summary.cursors == {
            "shopify.products": "2026-02-21T10:00:00Z",
            "shopify.orders": "2026-03-05T20:01:05Z",
        }
        assert summary.warnings == [
            "Shopify product linen-tee: a variant (Sample / Oat) has no SKU and was skipped",
            "Shopify inventory: 1 SKU(s) not in the catalogue were skipped (first: OLD-SKU-9); "
            "sync products first",
        ]
        # 429 → Retry-After (2 s); THROTTLED → (252 requested − 52 available) / 100 per second = 2 s
        assert waits == [2.0, 2.0]
        assert [r.json()["variables"].get("after") for r in seen if "orders(" in r.json()["query"]][-2:] == [
            None,
            "cursor-1",
        ]
        assert TOKEN not in caplog.text

        with transaction(engine) as session:
            again = sync_shopify(session, client, now=NOW)
        searches = [r.json()["variables"].get("query") for r in seen if "orders(" in r.json()["query"]]
        assert searches[-1] == "updated_at:>='2026-03-05T20:01:05Z'"
        assert again.fetched == {"products": 1, "orders": 1, "inventory": 4}
        assert again.records["order"] == {"created": 0, "updated": 0, "unchanged": 1}
        assert again.records["stock_level"] == {"created": 0, "updated": 0, "unchanged": 2}

    assert counts(engine) == {
        "products": 2,
        "variants": 2,
        "orders": 2,
        "lines": 3,
        "refunds": 1,
        "shipments": 1,
        "stock_levels": 2,
        "order_total": Decimal("115.16"),
    }
    with transaction(engine) as session:
        order = session.scalar(select(m.Order).where(m.Order.number == "#1043"))
        pos = session.scalar(select(m.Order).where(m.Order.number == "#1044"))
        shipment = session.scalar(select(m.Shipment))
        tee = session.scalar(select(m.Variant).where(m.Variant.sku == "TEE-LIN-M"))
        tote = session.scalar(select(m.Variant).where(m.Variant.sku == "TOTE-CNV"))
        level = session.scalar(select(m.StockLevel).where(m.StockLevel.variant_id == tee.id))
        location = session.get(m.Location, level.location_id)
        line_variants = set(session.scalars(select(m.OrderLine.variant_id)))
    assert (order.external_id, order.subtotal, order.discount_total, order.total) == (
        "5891234567890",
        Decimal("80.00"),
        Decimal("8.00"),
        Decimal("82.76"),
    )
    assert (order.utm_source, order.utm_campaign, order.utm_term) == ("google", "brand_search", "linen tee")
    assert (order.financial_status, order.fulfillment_status) == ("partially_refunded", "fulfilled")
    assert (pos.financial_status, pos.email, pos.landing_page) == ("pending", None, None)
    assert (shipment.status, shipment.delivered_at) == ("delivered", datetime(2026, 3, 4, 17, 42, tzinfo=UTC))
    assert (tee.size, tee.colour, tee.weight_grams, tee.barcode) == ("M", "Oat", 180, "0840012345678")
    assert (tote.title, tote.weight_grams) == ("Canvas Tote", 349)
    assert line_variants == {tee.id, tote.id}
    assert (level.on_hand, level.reserved, location.code, location.name) == (
        40,
        2,
        "shopify-655441491",
        "Main warehouse",
    )


def test_a_failed_sync_keeps_the_cursors_and_writes_nothing(engine) -> None:
    fake = FakeShopify()
    with (
        local_api(fake) as (url, _),
        ShopifyClient(shop_endpoint(url), "shpat_wrong", sleep=lambda _: None) as client,
        pytest.raises(ShopifyAPIError) as caught,
        transaction(engine) as session,
    ):
        sync_shopify(session, client, now=NOW)
    assert (
        str(caught.value) == "Shopify refused the access token (HTTP 401); check the app's token and scopes"
    )
    assert counts(engine)["orders"] == 0
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(m.SyncState)) == 0


def mock_client(
    answers: list[httpx.Response | Exception], waits: list[float], **options: Any
) -> ShopifyClient:
    queue = iter(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(queue)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return ShopifyClient(
        "https://sasame-goods.myshopify.com/admin/api/2025-01/graphql.json",
        TOKEN,
        transport=httpx.MockTransport(handler),
        sleep=waits.append,
        **options,
    )


def test_client_paces_itself_by_query_cost_and_backs_off_on_5xx_and_timeouts() -> None:
    waits: list[float] = []
    low = {"data": {"shop": {"name": "S"}}, "extensions": cost(available=52.0, requested=152)}
    client = mock_client(
        [
            httpx.ReadTimeout("timed out"),
            httpx.Response(502, text="Bad Gateway"),
            httpx.Response(200, content=json.dumps(low).encode()),
        ],
        waits,
        backoff=0.5,
    )
    assert client.query("{ shop { name } }") == {"shop": {"name": "S"}}
    assert waits == [0.5, 1.0, 1.0]  # network error, 502, then pacing: (152 − 52) / 100


def test_client_errors_are_clear_and_never_show_the_token(caplog) -> None:
    waits: list[float] = []
    bad_query = {
        "errors": [
            {"message": "Field 'nope' doesn't exist on type 'Shop'", "locations": [{"line": 1, "column": 9}]}
        ]
    }
    client = mock_client([httpx.Response(200, json=bad_query)], waits)
    with pytest.raises(
        ShopifyAPIError, match="Shopify refused the query: Field 'nope' doesn't exist on type 'Shop'"
    ):
        client.query("{ shop { nope } }")
    timeouts = mock_client([httpx.ConnectTimeout("no route")] * 3, waits, max_retries=2)
    with caplog.at_level(logging.DEBUG), pytest.raises(ShopifyAPIError) as caught:
        timeouts.query("{ shop { name } }")
    assert str(caught.value) == "no answer from Shopify (ConnectTimeout)"
    assert TOKEN not in caplog.text + repr(timeouts) + str(caught.value)
    assert (
        shop_endpoint("sasame-goods") == "https://sasame-goods.myshopify.com/admin/api/2025-01/graphql.json"
    )
