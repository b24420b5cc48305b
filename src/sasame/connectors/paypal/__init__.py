"""paypal connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.paypal.activity import PayPalActivity

FORMATS: list[FileFormat] = [PayPalActivity()]
