"""mailchimp connector: the exports and API streams it reads (see README.md here)."""

from sasame.connectors.base import FileFormat
from sasame.connectors.mailchimp.campaign_report import MailchimpCampaignReport
from sasame.connectors.mailchimp.campaigns import MailchimpCampaigns

FORMATS: list[FileFormat] = [MailchimpCampaigns(), MailchimpCampaignReport()]
