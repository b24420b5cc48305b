"""klaviyo connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.klaviyo.campaigns import KlaviyoCampaigns
from sasame.connectors.klaviyo.flows import KlaviyoFlows

FORMATS: list[FileFormat] = [KlaviyoCampaigns(), KlaviyoFlows()]
