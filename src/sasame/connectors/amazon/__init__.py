"""amazon connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.amazon.settlement import SettlementV1, SettlementV2
from sasame.connectors.amazon.transactions import TransactionReport
from sasame.connectors.base import FileFormat

FORMATS: list[FileFormat] = [SettlementV2(), SettlementV1(), TransactionReport()]
