"""google_ads connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.google_ads.report import GoogleAdsReport

FORMATS: list[FileFormat] = [GoogleAdsReport()]
