"""Shopify connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.shopify.orders_csv import ShopifyOrdersCsv
from sasame.connectors.shopify.payments import ShopifyPaymentsTransactionsCsv, ShopifyPayoutsCsv
from sasame.connectors.shopify.products_csv import ShopifyProductsCsv

FORMATS: list[FileFormat] = [
    ShopifyOrdersCsv(),
    ShopifyProductsCsv(),
    ShopifyPaymentsTransactionsCsv(),
    ShopifyPayoutsCsv(),
]
