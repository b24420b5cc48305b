"""woocommerce connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.woocommerce.order_json import WooCommerceOrderJson

FORMATS: list[FileFormat] = [WooCommerceOrderJson()]
