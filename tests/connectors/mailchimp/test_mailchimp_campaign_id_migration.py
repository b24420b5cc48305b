"""Migration 0010: campaigns an older sasame stored under the export's Unique Id take the id both
Mailchimp exports now share, so that importing the export again updates them instead of adding
each campaign a second time."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from connector_support import email_totals, import_into
from sqlalchemy import select, update

from sasame.connectors.mailchimp.campaigns import campaign_id
from sasame.db import make_engine, upgrade
from sasame.models import EmailCampaign, SourceRecord

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 6, 20, 12, tzinfo=UTC)
# The store's timezone is UTC unless set: the export's wall times are read as UTC.
MAY_NEWSLETTER = campaign_id("May Newsletter", datetime(2026, 5, 5, 9, 30, tzinfo=UTC), 1750)
SPRING_SALE = campaign_id("Spring sale - last call", datetime(2026, 5, 12, 20, 5, tzinfo=UTC), 1802)
UNIQUE_IDS = {MAY_NEWSLETTER: "a1b2c3d4e5", SPRING_SALE: "f6e5d4c3b2"}


def store_as_before(engine, imported_again: bool = False) -> None:
    """What an older sasame left: the export's campaigns under their Unique Id, raw rows too.
    With imported_again, the export was imported once more since, under the new ids, beside them."""
    import_into(engine, FIXTURES / "campaigns_ecommerce.csv", NOW)
    assert stored_ids(engine) == (sorted(UNIQUE_IDS), sorted(UNIQUE_IDS))
    with engine.begin() as connection:
        for new_id, unique_id in UNIQUE_IDS.items():
            connection.execute(
                update(SourceRecord)
                .where(SourceRecord.origin == "mailchimp.campaigns", SourceRecord.natural_key == new_id)
                .values(natural_key=unique_id)
            )
            connection.execute(
                update(EmailCampaign).where(EmailCampaign.external_id == new_id).values(external_id=unique_id)
            )
    if imported_again:
        import_into(engine, FIXTURES / "campaigns_ecommerce.csv", NOW)


def stored_ids(engine) -> tuple[list[str], list[str]]:
    with engine.connect() as connection:
        campaigns = connection.execute(select(EmailCampaign.external_id).order_by(EmailCampaign.external_id))
        raw = connection.execute(
            select(SourceRecord.natural_key)
            .where(SourceRecord.origin == "mailchimp.campaigns")
            .order_by(SourceRecord.natural_key)
        )
        return list(campaigns.scalars()), list(raw.scalars())


def test_old_unique_ids_move_to_the_shared_id_and_a_reimport_updates_them(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0009")
    store_as_before(engine)
    assert stored_ids(engine) == (["a1b2c3d4e5", "f6e5d4c3b2"], ["a1b2c3d4e5", "f6e5d4c3b2"])

    upgrade(engine)
    shared = sorted([MAY_NEWSLETTER, SPRING_SALE])
    assert stored_ids(engine) == (shared, shared)
    again = import_into(engine, FIXTURES / "campaigns_ecommerce.csv", NOW)
    assert again.records["email_performance_day"] == {"created": 0, "updated": 0, "unchanged": 2}
    assert email_totals(engine) == (2, 2, Decimal("2553.20"))
    engine.dispose()


def test_a_campaign_already_stored_twice_keeps_the_newer_record(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0009")
    store_as_before(engine, imported_again=True)
    assert email_totals(engine) == (4, 4, Decimal("5106.40"))

    upgrade(engine)
    campaigns, raw = stored_ids(engine)
    assert campaigns == sorted([MAY_NEWSLETTER, SPRING_SALE])
    # The old raw rows stay as they were received: nothing reads them by key any more.
    assert raw == sorted(["a1b2c3d4e5", "f6e5d4c3b2", MAY_NEWSLETTER, SPRING_SALE])
    assert email_totals(engine) == (2, 2, Decimal("2553.20"))
    engine.dispose()
