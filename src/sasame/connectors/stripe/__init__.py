"""stripe connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.stripe.balance import StripeBalanceTransactions

FORMATS: list[FileFormat] = [StripeBalanceTransactions()]
