"""etsy connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.etsy.orders import SoldOrderItems, SoldOrders
from sasame.connectors.etsy.statement import EtsyStatement

FORMATS: list[FileFormat] = [SoldOrderItems(), SoldOrders(), EtsyStatement()]
