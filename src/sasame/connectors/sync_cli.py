"""`sasame sync shopify|stripe`: pull what changed from the live APIs, one transaction per run.

Mounted by the main CLI as `app.add_typer(sync_app, name="sync")`. Credentials come from the
environment only (SASAME_SHOPIFY_SHOP, SASAME_SHOPIFY_TOKEN, SASAME_STRIPE_KEY) and are never
printed: errors name the setting, not its value.
"""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer

from sasame.cli_options import DbOption, JsonOption, describe_changes
from sasame.core.clock import system_clock
from sasame.core.errors import ConfigError, UserError
from sasame.ingest.sync import SyncSummary

sync_app = typer.Typer(
    help="Sync live platform APIs (Shopify Admin GraphQL, Stripe, carrier tracking).", no_args_is_help=True
)


def _setting(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set; it is needed for this sync")
    return value


@sync_app.command("shopify")
def sync_shopify_command(
    db: DbOption = None,
    stream: Annotated[
        list[str] | None,
        typer.Option(help="Sync only this stream: products, orders or inventory (repeatable)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Products, orders (with refunds and fulfilments) and inventory levels changed since the last sync."""
    from sasame.cli import open_database
    from sasame.connectors.shopify.client import API_VERSION, ShopifyAPIError, ShopifyClient, shop_endpoint
    from sasame.connectors.shopify.sync import STREAMS, sync_shopify
    from sasame.db import transaction
    from sasame.ingest.service import refusals_as_input_errors

    unknown = set(stream or ()) - set(STREAMS)
    if unknown:
        raise UserError(
            f"--stream: unknown stream {sorted(unknown)[0]!r}; the streams are {', '.join(STREAMS)}"
        )
    endpoint = shop_endpoint(
        _setting("SASAME_SHOPIFY_SHOP"), os.environ.get("SASAME_SHOPIFY_API_VERSION") or API_VERSION
    )
    token = _setting("SASAME_SHOPIFY_TOKEN")
    _, engine = open_database(db)
    try:
        with (
            refusals_as_input_errors("the Shopify API's answer"),
            ShopifyClient(endpoint, token) as client,
            transaction(engine) as session,
        ):
            summary = sync_shopify(session, client, now=system_clock(), streams=stream or STREAMS)
    except ShopifyAPIError as error:
        raise UserError(f"Shopify sync failed, nothing was changed: {error}") from error
    _report(summary, as_json)


@sync_app.command("stripe")
def sync_stripe_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Stripe payouts and the balance transactions each one paid out."""
    from sasame.cli import open_database
    from sasame.connectors.stripe.client import DEFAULT_BASE_URL, StripeAPIError, StripeClient
    from sasame.connectors.stripe.sync import sync_stripe
    from sasame.db import transaction
    from sasame.ingest.service import refusals_as_input_errors

    key = _setting("SASAME_STRIPE_KEY")
    base_url = os.environ.get("SASAME_STRIPE_API_BASE") or DEFAULT_BASE_URL
    _, engine = open_database(db)
    try:
        with (
            refusals_as_input_errors("the Stripe API's answer"),
            StripeClient(key, base_url=base_url) as client,
            transaction(engine) as session,
        ):
            summary = sync_stripe(session, client, now=system_clock())
    except StripeAPIError as error:
        raise UserError(f"Stripe sync failed, nothing was changed: {error}") from error
    _report(summary, as_json)


@sync_app.command("tracking")
def sync_tracking_command(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Carrier tracking for every shipment not yet delivered (EasyPost, Shippo or AfterShip)."""
    from sasame.cli import open_database
    from sasame.connectors.carriers.tracking import source_from_environment
    from sasame.db import transaction
    from sasame.ingest.service import refusals_as_input_errors
    from sasame.ingest.tracking import sync_tracking

    source = source_from_environment()
    if source is None:
        raise ConfigError("SASAME_EASYPOST_KEY, SASAME_SHIPPO_KEY or SASAME_AFTERSHIP_KEY must be set")
    _, engine = open_database(db)
    with refusals_as_input_errors("the tracking service's answer"), transaction(engine) as session:
        summary = sync_tracking(session, source, now=system_clock())
    if as_json:
        print(json.dumps(summary.as_json(), indent=2))
        return
    changes = describe_changes(summary.records)
    typer.echo(f"{summary.service}: checked {summary.checked:,} shipments; {changes or 'nothing changed'}")
    for number in summary.not_found:
        typer.echo(f"  not found at the carrier: {number}")
    for failure in summary.failed:
        typer.echo(f"  failed: {failure}")


def _report(summary: SyncSummary, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary.as_json(), indent=2))
        return
    fetched = ", ".join(f"{stream} {count:,}" for stream, count in summary.fetched.items())
    changes = describe_changes(summary.records)
    typer.echo(f"{summary.platform}: fetched {fetched}; {changes or 'nothing changed'}")
    for warning in summary.warnings:
        typer.echo(f"  warning: {warning}")
