"""amazon_ads connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.amazon_ads.reports import (
    AmazonSponsoredBrands,
    AmazonSponsoredDisplay,
    AmazonSponsoredProducts,
)
from sasame.connectors.base import FileFormat

FORMATS: list[FileFormat] = [AmazonSponsoredProducts(), AmazonSponsoredBrands(), AmazonSponsoredDisplay()]
