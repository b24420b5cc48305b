"""Shopify connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.shopify.orders_csv import ShopifyOrdersCsv

FORMATS: list[FileFormat] = [ShopifyOrdersCsv()]
