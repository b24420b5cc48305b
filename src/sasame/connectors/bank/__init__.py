"""bank connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.bank.csv_statement import BankCsv
from sasame.connectors.bank.ofx import OfxStatement
from sasame.connectors.base import FileFormat

FORMATS: list[FileFormat] = [OfxStatement(), BankCsv()]
