"""meta_ads connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.meta_ads.report import MetaAdsReport

FORMATS: list[FileFormat] = [MetaAdsReport()]
