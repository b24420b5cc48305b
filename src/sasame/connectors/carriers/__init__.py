"""Carrier tracking through EasyPost, Shippo and AfterShip (see README.md here): API clients, the
status mapping onto one vocabulary, and no file formats."""

from sasame.connectors.base import FileFormat

FORMATS: list[FileFormat] = []
