"""klaviyo connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat

FORMATS: list[FileFormat] = []
