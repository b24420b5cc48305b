"""`sasame sync shopify|stripe` end to end against the local servers, on a SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

from local_api import local_api
from test_shopify_sync import TOKEN, FakeShopify
from test_stripe_sync import KEY, stripe_like
from typer.testing import CliRunner

from sasame.connectors.sync_cli import sync_app
from sasame.core.errors import ConfigError, UserError


def test_sync_commands_print_json_summaries(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    runner = CliRunner()
    shopify = FakeShopify()
    shopify.rate_limited = shopify.throttled = (
        True  # the CLI's client really sleeps; backoff is tested elsewhere
    )
    with local_api(shopify) as (url, _):
        env = {"SASAME_SHOPIFY_SHOP": url, "SASAME_SHOPIFY_TOKEN": TOKEN}
        result = runner.invoke(sync_app, ["shopify", "--db", db, "--json", "--stream", "orders"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["fetched"] == {"orders": 2}
    assert summary["money"]["order_total"] == {"USD": "115.16"}
    assert TOKEN not in result.output

    with local_api(stripe_like) as (url, _):
        env = {"SASAME_STRIPE_KEY": KEY, "SASAME_STRIPE_API_BASE": url}
        result = runner.invoke(sync_app, ["stripe", "--db", db, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["records"]["payout"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert KEY not in result.output


def test_missing_settings_and_refused_keys_are_user_errors_without_secrets(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    runner = CliRunner()
    missing = runner.invoke(sync_app, ["stripe", "--db", db], env={"SASAME_STRIPE_KEY": ""})
    assert isinstance(missing.exception, ConfigError)
    assert str(missing.exception) == "SASAME_STRIPE_KEY is not set; it is needed for this sync"
    with local_api(stripe_like) as (url, _):
        env = {"SASAME_STRIPE_KEY": "sk_live_wrong_key_42", "SASAME_STRIPE_API_BASE": url}
        refused = runner.invoke(sync_app, ["stripe", "--db", db], env=env)
    assert isinstance(refused.exception, UserError)
    assert "Stripe answered 401" in str(refused.exception)
    assert "sk_live_wrong_key_42" not in str(refused.exception) + refused.output


def test_tracking_sync_needs_a_carrier_key_and_checks_undelivered_shipments(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'store.db'}"
    runner = CliRunner()
    env = {"SASAME_EASYPOST_KEY": "", "SASAME_SHIPPO_KEY": "", "SASAME_AFTERSHIP_KEY": ""}
    missing = runner.invoke(sync_app, ["tracking", "--db", db], env=env)
    assert isinstance(missing.exception, ConfigError)
    assert str(missing.exception) == (
        "SASAME_EASYPOST_KEY, SASAME_SHIPPO_KEY or SASAME_AFTERSHIP_KEY must be set"
    )
    # With a key but no shipment waiting for delivery, nothing is asked of the carrier.
    result = runner.invoke(
        sync_app, ["tracking", "--db", db, "--json"], env={**env, "SASAME_SHIPPO_KEY": "shippo_test_key"}
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["checked"] == 0
    assert "shippo_test_key" not in result.output
