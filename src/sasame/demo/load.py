"""Load the demo store the way a seller loads theirs: through the platforms' export files and `import_file`.

`load_demo_store` generates the store into a scratch SQLite database (`generate_demo_store`, the
direct-write generator), writes its history as the platforms' export files (`export_demo_files`),
and builds the real store in four steps:

1. **Dimensions first, same ids**: the settings, channels, locations, catalogue, customers and the
   ad and email campaign trees are copied as they are. The import matches them by natural key
   (channel code, SKU, e-mail, platform + external id) exactly as it matches a real store's, so the
   imported facts point at them.
2. **The import**: every export file goes through `sasame.ingest.service.import_file`, one
   transaction per file, as `sasame import` does: the orders and lines of Shopify, Amazon and Etsy,
   the Shopify Payments, Amazon and Etsy payouts, Google and Meta ad spend, Klaviyo performance,
   each with its kept file and source records (lineage).
3. **Imported orders take the generator's ids**: orders are matched by natural key (channel code +
   external id) and their lines by position, then renumbered, so everything that refers to an
   order — shipments, returns, refunds, stock movements, touchpoints, the inbox, and the ground truth
   that names orders by id — stays right without rewriting it.
4. **What no export carries is copied**: wholesale orders and payouts, Amazon Ads spend, and every
   other table (suppliers and POs, stock, shipments and tracking, returns and refunds, the inbox and
   support history, the bank statement, alerts, the ground truth) keep their generator ids;
   references to payouts go to the imported payout with the same provider, day and amount.
   Refunds too: the ones the import made from the Shopify Payments export (known by their total
   only) give way to the generator's, which also name their return and their shipping and tax.

The generator's truth is what the files were written from, so `tests/demo/test_demo_load.py` checks
the store against the scratch database: every order, line, unit and cent.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Table,
    bindparam,
    delete,
    func,
    make_url,
    select,
    type_coerce,
    update,
)
from sqlalchemy.types import NullType

from sasame import models as m
from sasame.connectors.shopify.payments import ShopifyPaymentsTransactionsCsv
from sasame.core.errors import UserError
from sasame.db import current_revision, head_revision, make_engine, transaction, upgrade
from sasame.demo.context import DemoScale
from sasame.demo.exports import export_demo_files
from sasame.demo.service import generate_demo_store
from sasame.ingest.bulk import next_id, reset_sequences, table_of, write_rows, write_stored_rows
from sasame.ingest.service import ImportSummary, import_file

IMPORTED_CHANNELS = ("shopify", "amazon", "etsy")
"""Channels whose orders come back through their exports (wholesale has none)."""
IMPORTED_PROVIDERS = ("shopify_payments", "amazon", "etsy")
IMPORTED_AD_PLATFORMS = ("google", "meta")
IMPORTED_EMAIL_PLATFORMS = ("klaviyo",)
DIMENSIONS = (
    m.BusinessSetting,
    m.Channel,
    m.Location,
    m.Product,
    m.Variant,
    m.BundleComponent,
    m.Customer,
    m.AdCampaign,
    m.AdSet,
    m.Ad,
    m.EmailCampaign,
)
"""Copied before the import with their ids; the import finds them by natural key."""
FACTS = (
    m.Order,
    m.OrderLine,
    m.Payout,
    m.PayoutLine,
    m.AdSpendDay,
    m.EmailPerformanceDay,
    m.SourceFile,
    m.SourceRecord,
)
"""Written by the import; only the rows no export carries are copied (see `_copy_unexported`)."""
Progress = Callable[[str, float], None]


def _beside_database(database_url: str, name: str) -> Path:
    """`name` next to a SQLite file; in the working folder for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / name
    return Path(name)


def default_exports_folder(database_url: str) -> Path:
    return _beside_database(database_url, "demo-exports")


def default_outbox_file(database_url: str) -> Path:
    """Where the demo store's automatic replies are written (an mbox), since its customers are made up."""
    return _beside_database(database_url, "demo-outbox.mbox").resolve()


def load_demo_store(
    engine: Engine,
    exports: Path,
    *,
    seed: int = 7,
    scale: DemoScale | None = None,
    end: date | None = None,
    now: datetime,
    timezone: str = "America/New_York",
    currency: str = "USD",
    progress: Progress | None = None,
    summaries: list[ImportSummary] | None = None,
) -> dict[str, Any]:
    """Generate the demo store, write its export files into `exports`, and load them into `engine`.

    Each file's import summary is appended to `summaries` when a list is given."""
    report = progress or (lambda _step, _fraction: None)
    if current_revision(engine) != head_revision():
        upgrade(engine)
    with engine.connect() as connection:
        for model, what in ((m.Order, "orders"), (m.Product, "products"), (m.Channel, "channels")):
            if connection.scalar(select(func.count()).select_from(model)):
                raise UserError(
                    f"the database already holds {what}: load the demo store into an empty database"
                )
    with tempfile.TemporaryDirectory(prefix="sasame-demo-") as scratch_folder:
        scratch = make_engine(f"sqlite:///{Path(scratch_folder) / 'generated.db'}")
        try:
            upgrade(scratch)

            def generating(step: str, fraction: float) -> None:
                report(step, 0.5 * fraction)

            summary = generate_demo_store(
                scratch,
                seed=seed,
                scale=scale,
                end=end,
                now=now,
                timezone=timezone,
                currency=currency,
                progress=generating,
            )
            report("export files", 0.5)
            paths = export_demo_files(scratch, exports)
            with scratch.connect() as source, engine.begin() as target:
                _keep_settings(source, target)
                for dimension in DIMENSIONS[1:]:
                    _copy(source, target, table_of(dimension))
                # PostgreSQL: rows the import creates take ids after the copied ones.
                reset_sequences(target, [table_of(dimension) for dimension in DIMENSIONS])
            imported: list[ImportSummary] = []
            for index, path in enumerate(paths):
                report(f"import {path.parent.name}/", 0.6 + 0.3 * index / max(len(paths), 1))
                with transaction(engine) as session:
                    imported.append(import_file(session, path, now=now))
            if summaries is not None:
                summaries.extend(imported)
            report("copy what no export carries", 0.9)
            with scratch.connect() as source, engine.begin() as target:
                _drop_refunds_known_by_their_total(target)
                _take_generator_order_ids(source, target)
                payouts = _copy_unexported(source, target)
                done = {table_of(model).name for model in (*DIMENSIONS, *FACTS)}
                for table in m.Base.metadata.sorted_tables:
                    if table.name not in done:
                        _copy(source, target, table, {"payout": payouts})
                _rewrite_truth_payout_references(source, target)
                reset_sequences(target, [table for table in m.Base.metadata.sorted_tables if "id" in table.c])
        finally:
            scratch.dispose()
    return {
        **summary,
        "export_files": len(paths),
        "exports": str(exports),
        "rows_imported": sum(s.rows_read for s in imported),
    }


# -- copying -------------------------------------------------------------------------------------


def _keep_settings(source: Connection, target: Connection) -> None:
    """The store's settings row: copied, or (after `sasame init`) the existing one takes its values."""
    settings = table_of(m.BusinessSetting)
    existing = target.scalar(select(settings.c.id).order_by(settings.c.id).limit(1))
    if existing is None:
        _copy(source, target, settings)
        return
    generated = source.execute(select(settings).order_by(settings.c.id).limit(1)).one()
    target.execute(
        update(settings)
        .where(settings.c.id == existing)
        .values(name=generated.name, currency=generated.currency, timezone=generated.timezone)
    )


def _copy(
    source: Connection,
    target: Connection,
    table: Table,
    remap: dict[str, dict[int, int]] | None = None,
    *,
    where: Any = None,
    fresh_ids: bool = False,
) -> dict[int, int]:
    """Copy a table's rows (or those `where` selects), remapping foreign keys; return old id → new id."""
    raw = _both_sqlite(source, target)
    rows = source.execute(_select_all(table, raw=raw, where=where)).all()
    if not rows:
        return {}
    names = [column.name for column in table.c]
    columns: dict[str, list[Any]] = {
        name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)
    }
    for column in table.c:
        for key in column.foreign_keys:
            mapping = (remap or {}).get(key.column.table.name)
            if mapping is not None:
                columns[column.name] = [
                    None if value is None else _mapped(mapping, value, table, column.name)
                    for value in columns[column.name]
                ]
    ids: dict[int, int] = {}
    if fresh_ids and "id" in columns:
        first = next_id(target, table)
        ids = {old: first + position for position, old in enumerate(columns["id"])}
        columns["id"] = [ids[old] for old in columns["id"]]
    elif "id" in columns:
        ids = {old: old for old in columns["id"]}
    _write(target, table, columns, raw=raw)
    return ids


def _both_sqlite(*connections: Connection) -> bool:
    return all(connection.dialect.name == "sqlite" for connection in connections)


def _select_all(table: Table, *, raw: bool, where: Any = None) -> Any:
    """Every column of a table in id order; `raw` reads the stored values without type conversion
    (SQLite to SQLite: the stored form is the same, and converting 100k rows twice costs seconds)."""
    columns = [type_coerce(column, NullType()) if raw else column for column in table.c]
    query = select(*columns).order_by(*table.primary_key.columns)
    return query if where is None else query.where(where)


def _write(target: Connection, table: Table, columns: dict[str, list[Any]], *, raw: bool) -> None:
    if raw:
        write_stored_rows(target, table, columns)
    else:
        write_rows(target, table, columns)


def _mapped(mapping: dict[int, int], value: int, table: Table, column: str) -> int:
    if value not in mapping:
        raise RuntimeError(f"demo load: {table.name}.{column} = {value} has no loaded counterpart")
    return mapping[value]


def _copy_unexported(source: Connection, target: Connection) -> dict[int, int]:
    """Copy the facts no export carries; return every generator payout id → its loaded payout id."""
    order, line = table_of(m.Order), table_of(m.OrderLine)
    channel = table_of(m.Channel)
    unexported_channels = select(channel.c.id).where(channel.c.code.not_in(IMPORTED_CHANNELS))
    _copy(source, target, order, where=order.c.channel_id.in_(unexported_channels))
    _copy(
        source,
        target,
        line,
        where=line.c.order_id.in_(select(order.c.id).where(order.c.channel_id.in_(unexported_channels))),
    )
    payout, payout_line = table_of(m.Payout), table_of(m.PayoutLine)
    payouts = _imported_payouts(source, target)
    payouts.update(
        _copy(source, target, payout, where=payout.c.provider.not_in(IMPORTED_PROVIDERS), fresh_ids=True)
    )
    _copy(
        source,
        target,
        payout_line,
        {"payout": payouts},
        where=payout_line.c.payout_id.in_(
            select(payout.c.id).where(payout.c.provider.not_in(IMPORTED_PROVIDERS))
        ),
        fresh_ids=True,
    )
    campaign, ad_set, ad = table_of(m.AdCampaign), table_of(m.AdSet), table_of(m.Ad)
    spend = table_of(m.AdSpendDay)
    unexported_ads = (
        select(ad.c.id)
        .join(ad_set, ad_set.c.id == ad.c.ad_set_id)
        .join(campaign, campaign.c.id == ad_set.c.campaign_id)
        .where(campaign.c.platform.not_in(IMPORTED_AD_PLATFORMS))
    )
    _copy(source, target, spend, where=spend.c.ad_id.in_(unexported_ads), fresh_ids=True)
    email, performance = table_of(m.EmailCampaign), table_of(m.EmailPerformanceDay)
    _copy(
        source,
        target,
        performance,
        where=performance.c.email_campaign_id.in_(
            select(email.c.id).where(email.c.platform.not_in(IMPORTED_EMAIL_PLATFORMS))
        ),
        fresh_ids=True,
    )
    return payouts


def _drop_refunds_known_by_their_total(target: Connection) -> None:
    """Remove the refunds the import made from the Shopify Payments export (with their lineage):
    the generator's own refunds of the same orders, amounts and moments are copied instead, because
    they carry what no export holds: the return each settles and its exact shipping and tax."""
    refund, source = table_of(m.Refund), table_of(m.SourceRecord)
    derived = select(source.c.id).where(source.c.origin == ShopifyPaymentsTransactionsCsv.name)
    target.execute(delete(refund).where(refund.c.source_record_id.in_(derived)))
    target.execute(delete(source).where(source.c.id.in_(derived), source.c.natural_key.startswith("refund:")))


def _payout_key(row: Any) -> tuple[str, date, Decimal]:
    return (row.provider, row.paid_on, row.amount)


def _imported_payouts(source: Connection, target: Connection) -> dict[int, int]:
    """Generator payout id → imported payout id, matched by provider, payout day and amount.

    Exports name payouts differently (the Shopify Payments export has no payout id, the Etsy
    statement none at all), but each deposit's provider, day and amount are exact. A payout the
    exports do not show as one (an Etsy payout not sent yet) has no counterpart.
    """
    payout = table_of(m.Payout)
    columns = (payout.c.id, payout.c.provider, payout.c.paid_on, payout.c.amount)
    loaded: dict[tuple[str, date, Decimal], list[int]] = defaultdict(list)
    for row in target.execute(select(*columns).order_by(payout.c.id)):
        loaded[_payout_key(row)].append(row.id)
    result = {}
    for row in source.execute(
        select(*columns).where(payout.c.provider.in_(IMPORTED_PROVIDERS)).order_by(payout.c.id)
    ):
        candidates = loaded.get(_payout_key(row))
        if candidates and len(candidates) == 1:
            result[row.id] = candidates[0]
    return result


def _rewrite_truth_payout_references(source: Connection, target: Connection) -> None:
    """The truth of which bank line pays which payout names payouts by external id: use the loaded ones'."""
    payout, truth = table_of(m.Payout), table_of(m.GroundTruth)
    generated = {row.external_id: row for row in source.execute(select(payout))}
    loaded: dict[tuple[str, date, Decimal], list[str]] = defaultdict(list)
    for row in target.execute(select(payout)):
        loaded[_payout_key(row)].append(row.external_id)
    rows = target.execute(
        select(truth.c.id, truth.c.value).where(truth.c.kind == "bank_deposit_matches")
    ).all()
    for row in rows:
        value = {}
        for bank_line, external_id in row.value.items():
            match = loaded.get(_payout_key(generated[external_id]), []) if external_id in generated else []
            value[bank_line] = match[0] if len(match) == 1 else external_id
        target.execute(update(truth).where(truth.c.id == row.id).values(value=value))


# -- renumbering ---------------------------------------------------------------------------------


def _take_generator_order_ids(source: Connection, target: Connection) -> None:
    """Give every imported order and line the id the generator gave it (matched by natural key).

    Rows that refer to them (payout lines, written by the same import) follow. The rows are
    rewritten rather than updated in place: foreign keys are checked statement by statement.
    """
    order, line = table_of(m.Order), table_of(m.OrderLine)
    generated = _orders_by_key(source)
    loaded = _orders_by_key(target)
    missing = sorted(set(generated) - set(loaded))
    if missing:
        raise RuntimeError(f"demo load: {len(missing)} exported orders did not come back, e.g. {missing[0]}")
    order_ids = {loaded[key][0]: generated[key][0] for key in loaded if key in generated}
    line_ids: dict[int, int] = {}
    for key, (_, loaded_lines) in loaded.items():
        if key not in generated:
            continue
        generated_lines = generated[key][1]
        if len(generated_lines) != len(loaded_lines):
            raise RuntimeError(f"demo load: order {key} came back with {len(loaded_lines)} lines")
        line_ids.update(zip(loaded_lines, generated_lines, strict=True))
    references = _references(
        target, {"order": order_ids, "order_line": line_ids}, skip={(line.name, "order_id")}
    )
    for table, column, _pairs in references:
        target.execute(update(table).where(table.c[column].is_not(None)).values({column: None}))
    order_rows = _rows(target, order)
    line_rows = _rows(target, line)
    target.execute(delete(line))
    target.execute(delete(order))
    order_rows["id"] = [order_ids.get(i, i) for i in order_rows["id"]]
    # Amazon's and Etsy's exports name no buyer (no e-mail), so their orders come back without a
    # customer; which customer placed them is kept from the generator, like everything else no
    # export carries.
    buyers = dict(source.execute(select(order.c.id, order.c.customer_id)).all())
    order_rows["customer_id"] = [
        buyers.get(order_id) if customer_id is None else customer_id
        for order_id, customer_id in zip(order_rows["id"], order_rows["customer_id"], strict=True)
    ]
    line_rows["id"] = [line_ids.get(i, i) for i in line_rows["id"]]
    line_rows["order_id"] = [order_ids.get(i, i) for i in line_rows["order_id"]]
    raw = _both_sqlite(target)
    _write(target, order, order_rows, raw=raw)
    _write(target, line, line_rows, raw=raw)
    for table, column, pairs in references:
        if raw:
            target.exec_driver_sql(
                f'UPDATE "{table.name}" SET "{column}" = ? WHERE id = ?',
                [(value, row_id) for row_id, value in pairs],
            )
        else:
            target.execute(
                update(table)
                .where(table.c.id == bindparam("row_id"))
                .values({column: bindparam("new_value")}),
                [{"row_id": row_id, "new_value": value} for row_id, value in pairs],
            )


def _orders_by_key(connection: Connection) -> dict[tuple[str, str], tuple[int, list[int]]]:
    """(channel code, external id) → (order id, its line ids in id order), for the exported channels."""
    order, line, channel = table_of(m.Order), table_of(m.OrderLine), table_of(m.Channel)
    orders = connection.execute(
        select(order.c.id, channel.c.code, order.c.external_id)
        .join(channel, channel.c.id == order.c.channel_id)
        .where(channel.c.code.in_(IMPORTED_CHANNELS))
    ).all()
    lines: dict[int, list[int]] = defaultdict(list)
    for line_id, order_id in connection.execute(select(line.c.id, line.c.order_id).order_by(line.c.id)):
        lines[order_id].append(line_id)
    return {(code, external_id): (order_id, lines[order_id]) for order_id, code, external_id in orders}


def _references(
    connection: Connection, maps: dict[str, dict[int, int]], *, skip: Iterable[tuple[str, str]]
) -> list[tuple[Table, str, list[tuple[int, int]]]]:
    """Every stored reference to a renumbered table, as (table, column, [(row id, new value)])."""
    skipped = set(skip)
    found = []
    for table in m.Base.metadata.sorted_tables:
        for column in table.c:
            for key in column.foreign_keys:
                target_name = key.column.table.name
                if target_name not in maps or (table.name, column.name) in skipped or table.name in maps:
                    continue
                pairs = [
                    (row_id, maps[target_name].get(value, value))
                    for row_id, value in connection.execute(
                        select(table.c.id, column).where(column.is_not(None))
                    )
                ]
                if pairs:
                    found.append((table, column.name, pairs))
    return found


def _rows(connection: Connection, table: Table) -> dict[str, list[Any]]:
    names = [column.name for column in table.c]
    rows: Sequence[Any] = connection.execute(_select_all(table, raw=_both_sqlite(connection))).all()
    if not rows:
        return {name: [] for name in names}
    return {name: list(values) for name, values in zip(names, zip(*rows, strict=True), strict=True)}


__all__ = ["default_exports_folder", "load_demo_store"]
