"""Connectors: one package per platform, each exporting FORMATS; REGISTRY is the explicit list of all.

Order matters only for readability: detection must be unambiguous, and an import whose content
matches two formats is refused rather than guessed.
"""

from sasame.connectors import (
    amazon,
    amazon_ads,
    bank,
    carriers,
    etsy,
    google_ads,
    klaviyo,
    mailchimp,
    meta_ads,
    paypal,
    shopify,
    stripe,
    woocommerce,
)
from sasame.connectors.base import FileFormat

REGISTRY: list[FileFormat] = [
    *shopify.FORMATS,
    *amazon.FORMATS,
    *etsy.FORMATS,
    *woocommerce.FORMATS,
    *stripe.FORMATS,
    *paypal.FORMATS,
    *google_ads.FORMATS,
    *meta_ads.FORMATS,
    *amazon_ads.FORMATS,
    *klaviyo.FORMATS,
    *mailchimp.FORMATS,
    *bank.FORMATS,
    *carriers.FORMATS,
]

__all__ = ["REGISTRY", "FileFormat"]
