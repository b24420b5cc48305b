"""Posting the business events of a small hand-built store, exactly; then a generated demo store
against the generator's ground truth."""

from __future__ import annotations

from collections import defaultdict, deque
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, update

from sasame import models as m
from sasame.db import transaction
from sasame.finance.service import post_ledger

TZ = ZoneInfo("America/New_York")
D = Decimal
NOW = datetime(2026, 2, 10, 15, tzinfo=UTC)
DAY1, DAY2, DAY3 = date(2026, 2, 2), date(2026, 2, 3), date(2026, 2, 6)


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


def build_store(engine: Engine) -> dict[str, int]:
    """Two channels, two SKUs bought on one PO with freight, two orders, a return, payouts, ads."""
    with transaction(engine) as s:
        s.add(
            m.BusinessSetting(name="Posting Co", currency="USD", timezone="America/New_York", created_at=NOW)
        )
        shopify = m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD")
        amazon = m.Channel(code="amazon", name="Amazon", kind="amazon", currency="USD")
        warehouse = m.Location(code="wh", name="Warehouse", kind="warehouse")
        product = m.Product(handle="mug", title="Mug", category="kitchen")
        supplier = m.Supplier(name="Clayworks", currency="USD", quoted_lead_time_days=20)
        s.add_all([shopify, amazon, warehouse, product, supplier])
        s.flush()
        sku_a = m.Variant(product_id=product.id, sku="MUG-A", title="Mug A", price=D(20), currency="USD")
        sku_b = m.Variant(product_id=product.id, sku="MUG-B", title="Mug B", price=D(30), currency="USD")
        s.add_all([sku_a, sku_b])
        s.flush()
        po = m.PurchaseOrder(
            number="PO-1",
            supplier_id=supplier.id,
            location_id=warehouse.id,
            status="received",
            ordered_at=at(DAY1, 8) - timedelta(days=20),
            expected_on=DAY1,
            currency="USD",
            freight_cost=D(15),
        )
        s.add(po)
        s.flush()
        # $50 and $100 of goods share $15 freight as $5 and $10: landed $5.50 and $11.00 a unit.
        po_a = m.PurchaseOrderLine(
            purchase_order_id=po.id,
            variant_id=sku_a.id,
            quantity_ordered=10,
            quantity_received=10,
            unit_cost=D(5),
        )
        po_b = m.PurchaseOrderLine(
            purchase_order_id=po.id,
            variant_id=sku_b.id,
            quantity_ordered=10,
            quantity_received=10,
            unit_cost=D(10),
        )
        s.add_all([po_a, po_b])
        order_1 = m.Order(
            channel_id=shopify.id,
            external_id="1",
            number="#1001",
            ordered_at=at(DAY2, 10),
            order_date=DAY2,
            currency="USD",
            subtotal=D(70),
            discount_total=D(4),
            shipping_total=D(5),
            tax_total=D("5.68"),
            total=D("76.68"),
            financial_status="partially_refunded",
            fulfillment_status="fulfilled",
        )
        order_2 = m.Order(
            channel_id=amazon.id,
            external_id="111-1",
            number="111-1",
            ordered_at=at(DAY2, 23),  # 23:00 in New York is already the next day in UTC
            order_date=DAY2,
            currency="USD",
            subtotal=D(25),
            tax_total=D(2),
            total=D(27),
            financial_status="paid",
            fulfillment_status="fulfilled",
        )
        s.add_all([order_1, order_2])
        s.flush()
        line_1a = m.OrderLine(
            order_id=order_1.id,
            variant_id=sku_a.id,
            title="Mug A",
            quantity=2,
            unit_price=D(20),
            discount=D(4),
        )
        line_1b = m.OrderLine(
            order_id=order_1.id, variant_id=sku_b.id, title="Mug B", quantity=1, unit_price=D(30)
        )
        line_2a = m.OrderLine(
            order_id=order_2.id, variant_id=sku_a.id, title="Mug A", quantity=1, unit_price=D(25)
        )
        s.add_all([line_1a, line_1b, line_2a])
        s.flush()
        rma = m.Return(
            rma_number="RMA-1",
            order_id=order_1.id,
            status="refunded",
            reason="changed_mind",
            requested_at=at(DAY3, 9),
            received_at=at(DAY3, 11),
            label_cost=D("4.10"),
            currency="USD",
        )
        s.add(rma)
        s.flush()
        return_line = m.ReturnLine(
            return_id=rma.id, order_line_id=line_1a.id, quantity=1, condition="restockable"
        )
        s.add(return_line)
        s.add(
            m.Refund(
                order_id=order_1.id,
                return_id=rma.id,
                refunded_at=at(DAY3, 12),
                amount=D("19.62"),
                tax_amount=D("1.62"),
                currency="USD",
            )
        )
        s.flush()

        def move(variant, kind, quantity, when, **links):
            s.add(
                m.StockMovement(
                    variant_id=variant.id,
                    location_id=warehouse.id,
                    kind=kind,
                    quantity=quantity,
                    currency="USD",
                    moved_at=when,
                    **links,
                )
            )

        move(sku_a, "receipt", 10, at(DAY1, 14), purchase_order_line_id=po_a.id, unit_cost=D(5))
        move(sku_b, "receipt", 10, at(DAY1, 14), purchase_order_line_id=po_b.id, unit_cost=D(10))
        move(sku_a, "sale", -2, at(DAY2, 15), order_line_id=line_1a.id)
        move(sku_b, "sale", -1, at(DAY2, 15), order_line_id=line_1b.id)
        move(sku_a, "sale", -1, at(DAY2, 16), order_line_id=line_2a.id)
        move(sku_a, "transfer_out", -3, at(DAY2, 17))
        move(sku_a, "transfer_in", 3, at(DAY3, 8))
        move(sku_a, "return", 1, at(DAY3, 11), return_line_id=return_line.id)
        move(sku_b, "write_off", -1, at(DAY3, 18), note="damaged in warehouse")
        s.add(
            m.Shipment(
                order_id=order_1.id,
                carrier="usps",
                status="delivered",
                shipped_at=at(DAY2, 15),
                label_cost=D(6),
                currency="USD",
            )
        )
        paid = m.Payout(
            provider="shopify_payments",
            channel_id=shopify.id,
            external_id="SP-1",
            period_start=at(DAY2, 0),
            period_end=at(DAY3, 0),
            paid_on=DAY3,
            amount=D("54.54"),
            currency="USD",
            status="paid",
        )
        pending = m.Payout(
            provider="amazon",
            channel_id=amazon.id,
            external_id="AMZ-1",
            period_start=at(DAY2, 0),
            period_end=at(DAY3, 0),
            paid_on=DAY3 + timedelta(days=3),
            amount=D("17.03"),
            currency="USD",
            status="in_transit",
        )
        s.add_all([paid, pending])
        s.flush()
        for payout, order, kind, fee_type, amount in (
            (paid, order_1, "principal", None, "66.00"),
            (paid, order_1, "shipping", None, "5.00"),
            (paid, order_1, "tax", None, "5.68"),
            (paid, order_1, "fee", "processing", "-2.52"),
            (paid, order_1, "refund", None, "-19.62"),
            (pending, order_2, "principal", None, "25.00"),
            (pending, order_2, "fee", "commission", "-3.75"),
            (pending, order_2, "fee", "fba_fulfilment", "-3.22"),
            (pending, None, "reserve", None, "-1.00"),
        ):
            s.add(
                m.PayoutLine(
                    payout_id=payout.id,
                    kind=kind,
                    fee_type=fee_type,
                    order_id=order.id if order else None,
                    occurred_at=at(DAY2, 20),
                    amount=D(amount),
                    currency="USD",
                )
            )
        campaign = m.AdCampaign(platform="google", external_id="c1", name="Brand")
        s.add(campaign)
        s.flush()
        ad_set = m.AdSet(campaign_id=campaign.id, external_id="s1", name="All")
        s.add(ad_set)
        s.flush()
        ad = m.Ad(ad_set_id=ad_set.id, external_id="a1", name="Mug ad")
        s.add(ad)
        s.flush()
        s.add(
            m.AdSpendDay(
                ad_id=ad.id,
                spend_date=DAY2,
                spend=D(20),
                currency="USD",
                impressions=1000,
                clicks=40,
                conversions=1,
                conversion_value=D(70),
            )
        )
        s.flush()
        return {
            "order_1": order_1.id,
            "order_2": order_2.id,
            "line_2a": line_2a.id,
            "a": sku_a.id,
            "b": sku_b.id,
        }


def balances(engine: Engine) -> dict[str, Decimal]:
    with transaction(engine) as s:
        rows = s.execute(
            select(m.LedgerAccount.code, func.sum(m.Posting.store_amount))
            .join(m.Posting, m.Posting.account_id == m.LedgerAccount.id)
            .group_by(m.LedgerAccount.code)
        ).all()
    return {code: total for code, total in rows if total}


EXPECTED = {
    "1000": D("54.54"),  # the Shopify deposit; Amazon's payout is still in transit
    "1100.amazon": D("17.03"),  # 25.00 - 3.75 - 3.22 - 1.00: exactly the payout in transit
    "1150.amazon": D("1.00"),
    "1300": D("132.00"),  # 165 landed - 22 sold - 5.50 sold + 5.50 back - 11 written off
    "2000": D("-165.00"),
    "2050": D("-30.10"),  # label 6.00 + return label 4.10 + Google 20.00
    "2200": D("-4.06"),  # 5.68 collected on Shopify - 1.62 refunded; Amazon remits its own
    "4000.amazon": D("-25.00"),
    "4000.shopify": D("-70.00"),
    "4100": D("4.00"),
    "4200": D("-5.00"),
    "4300": D("18.00"),
    "5000": D("22.00"),  # 2 x 5.50 + 11.00 + 5.50 - 5.50 returned
    "5100": D("11.00"),
    "6000.amazon.commission": D("3.75"),
    "6000.amazon.fba_fulfilment": D("3.22"),
    "6100.shopify_payments": D("2.52"),
    "6200": D("6.00"),
    "6210": D("4.10"),
    "6300.google": D("20.00"),
}
"""The Shopify clearing account nets to zero: 76.68 sold - 19.62 refunded - 2.52 fees - 54.54 paid."""


def test_every_event_posts_exactly(engine):
    build_store(engine)
    with transaction(engine) as s:
        summary = post_ledger(s, NOW)
    assert summary.get("provisional_costs", 0) == 0
    assert balances(engine) == EXPECTED
    with transaction(engine) as s:
        assert s.scalar(select(func.sum(m.Posting.amount))) == 0
        unbalanced = s.execute(
            select(m.Posting.entry_id).group_by(m.Posting.entry_id).having(func.sum(m.Posting.amount) != 0)
        ).all()
        assert unbalanced == []
        layers = s.execute(
            select(m.CostLayer.variant_id, m.CostLayer.remaining, m.CostLayer.remaining_value).order_by(
                m.CostLayer.id
            )
        ).all()
        assert sum(layer.remaining_value for layer in layers) == EXPECTED["1300"]
        assert sorted((layer.remaining, layer.remaining_value) for layer in layers) == [
            (1, D("5.50")),
            (7, D("38.50")),
            (8, D("88.00")),
        ]


def test_postings_carry_day_channel_order_sku_and_cause(engine):
    ids = build_store(engine)
    with transaction(engine) as s:
        post_ledger(s, NOW)
        rows = s.execute(
            select(
                m.Posting.business_day,
                m.Posting.order_id,
                m.Posting.variant_id,
                m.Posting.store_amount,
                m.JournalEntry.cause,
                m.JournalEntry.kind,
            )
            .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
            .where(m.LedgerAccount.pnl_line == "cogs")
            .order_by(m.Posting.id)
        ).all()
    # The Amazon order placed at 23:00 New York time counts on its New York business day.
    assert [tuple(row) for row in rows] == [
        (DAY2, ids["order_1"], ids["a"], D("11.00"), "stock_movement", "cogs"),
        (DAY2, ids["order_1"], ids["b"], D("11.00"), "stock_movement", "cogs"),
        (DAY2, ids["order_2"], ids["a"], D("5.50"), "stock_movement", "cogs"),
        (DAY3, ids["order_1"], ids["a"], D("-5.50"), "stock_movement", "return"),
        (DAY3, None, ids["b"], D("11.00"), "stock_movement", "write_off"),
    ]


def test_posting_is_idempotent_and_reposts_only_what_changed(engine):
    ids = build_store(engine)
    with transaction(engine) as s:
        first = post_ledger(s, NOW)
    with transaction(engine) as s:
        second = post_ledger(s, NOW)
    assert second.get("entries_written", 0) == 0 and second.get("entries_deleted", 0) == 0
    assert second["unchanged"] == first["entries_written"]

    with transaction(engine) as s:
        s.execute(update(m.OrderLine).where(m.OrderLine.id == ids["line_2a"]).values(unit_price=D(26)))
        s.execute(update(m.Order).where(m.Order.id == ids["order_2"]).values(subtotal=D(26), total=D(28)))
    with transaction(engine) as s:
        third = post_ledger(s, NOW)
    assert (third["entries_deleted"], third["entries_written"], third["order_reposted"]) == (1, 1, 1)
    assert balances(engine)["4000.amazon"] == D("-26.00")
    assert balances(engine)["1100.amazon"] == D("18.03")

    with transaction(engine) as s:
        s.execute(update(m.Order).where(m.Order.id == ids["order_2"]).values(financial_status="voided"))
    with transaction(engine) as s:
        fourth = post_ledger(s, NOW)
    assert (fourth["entries_deleted"], fourth.get("entries_written", 0)) == (1, 0)
    assert "4000.amazon" not in balances(engine)


def test_a_late_receipt_recosts_later_sales(engine):
    ids = build_store(engine)
    with transaction(engine) as s:
        post_ledger(s, NOW)
        # A cheaper receipt of A recorded late, dated before the sales: FIFO now consumes it first.
        location = s.scalar(select(m.Location.id))
        s.add(
            m.StockMovement(
                variant_id=ids["a"],
                location_id=location,
                kind="receipt",
                quantity=5,
                unit_cost=D(3),
                currency="USD",
                moved_at=at(DAY1, 9),
            )
        )
    with transaction(engine) as s:
        summary = post_ledger(s, NOW)
    # The new receipt, the two sales of A and the return of A are (re)posted; nothing else is.
    assert summary["stock_movement_reposted"] == 3
    assert summary["entries_written"] == 4
    totals = balances(engine)
    assert totals["5000"] == D("22.00") - D("11.00") + D("6.00") - D("5.50") + D("3.00") + D("5.50") - D(
        "3.00"
    )
    assert totals["1300"] == D("132.00") + D("15.00") - (totals["5000"] - D("22.00"))


def test_moving_average_is_an_option(engine):
    build_store(engine)
    with transaction(engine) as s:
        summary = post_ledger(s, NOW, method="average")
    assert summary["method"] == "average"
    # One receipt per SKU: average and FIFO agree on this store.
    assert balances(engine)["5000"] == D("22.00")


def independent_fifo_cogs(s: Any) -> Fraction:
    """Cost the demo's stock movements unit by unit in exact fractions, without the cost engine:
    receipts at price x (1 + (freight + duty) / PO value), a SKU's first units at a location at
    their recorded cost, found units at the last cost, returns at their sale's unit cost."""
    po_value: dict[int, Fraction] = defaultdict(Fraction)
    extra: dict[int, Fraction] = {}
    lines: dict[int, tuple[int, Fraction]] = {}
    for line_id, po, ordered, cost in s.execute(
        select(
            m.PurchaseOrderLine.id,
            m.PurchaseOrderLine.purchase_order_id,
            m.PurchaseOrderLine.quantity_ordered,
            m.PurchaseOrderLine.unit_cost,
        )
    ):
        lines[line_id] = (po, Fraction(cost))
        po_value[po] += ordered * Fraction(cost)
    for po, freight, duty in s.execute(
        select(m.PurchaseOrder.id, m.PurchaseOrder.freight_cost, m.PurchaseOrder.duty_cost)
    ):
        extra[po] = Fraction(freight) + Fraction(duty)
    order_line_of = {
        line: order_line
        for line, order_line in s.execute(select(m.ReturnLine.id, m.ReturnLine.order_line_id))
    }
    queues: dict[int, deque[list[Any]]] = defaultdict(deque)
    last: dict[int, Fraction] = {}
    seen: set[tuple[int, int]] = set()
    sale_unit: dict[tuple[int, int], Fraction] = {}
    cogs = Fraction(0)
    sm = m.StockMovement
    for variant, location, kind, quantity, unit_cost, po_line, order_line, return_line in s.execute(
        select(
            sm.variant_id, sm.location_id, sm.kind, sm.quantity, sm.unit_cost, sm.purchase_order_line_id,
            sm.order_line_id, sm.return_line_id,
        ).order_by(sm.moved_at, sm.id)
    ):  # fmt: skip
        if kind in {"transfer_in", "transfer_out"} or quantity == 0:
            continue
        first = (variant, location) not in seen
        seen.add((variant, location))
        if kind == "receipt":
            po, price = lines[po_line]
            unit = price * (1 + extra[po] / po_value[po])
            queues[variant].append([unit, quantity])
            last[variant] = unit
        elif quantity < 0:
            need, cost = -quantity, Fraction(0)
            while need:
                layer = queues[variant][0]
                taken = min(need, layer[1])
                cost += taken * layer[0]
                layer[1] -= taken
                need -= taken
                last[variant] = layer[0]
                if layer[1] == 0:
                    queues[variant].popleft()
            if kind == "sale":
                cogs += cost
                sale_unit[(order_line, variant)] = cost / -quantity
        elif kind == "return":
            unit = sale_unit[(order_line_of[return_line], variant)]
            queues[variant].append([unit, quantity])
            cogs -= quantity * unit
        else:
            unit = Fraction(unit_cost) if first or variant not in last else last[variant]
            last.setdefault(variant, unit)
            queues[variant].append([unit, quantity])
    return cogs


@pytest.mark.slow
def test_demo_store_gross_sales_match_the_ground_truth_to_the_cent(engine):
    from sasame.demo.context import DemoScale
    from sasame.demo.service import generate_demo_store

    generate_demo_store(
        engine,
        seed=5,
        scale=DemoScale(weeks=10, orders_per_week=60, skus=30),
        end=date(2026, 3, 2),
        now=datetime(2026, 3, 2, 15, tzinfo=UTC),
    )
    with transaction(engine) as s:
        summary = post_ledger(s, datetime(2026, 3, 2, 15, tzinfo=UTC))
        assert summary["entries_written"] > 0
        channel_of = {
            code: channel_id for channel_id, code in s.execute(select(m.Channel.id, m.Channel.code))
        }
        by_line: dict[tuple[str, int | None, date], Decimal] = defaultdict(Decimal)
        for line, channel_id, day, total in s.execute(
            select(
                m.LedgerAccount.pnl_line,
                m.Posting.channel_id,
                m.Posting.business_day,
                func.sum(m.Posting.store_amount),
            )
            .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
            .where(m.LedgerAccount.pnl_line.in_(["gross_sales", "discounts"]))
            .group_by(m.LedgerAccount.pnl_line, m.Posting.channel_id, m.Posting.business_day)
        ):
            by_line[(line, channel_id, day)] = total
        checked = 0
        for channel, truth in s.execute(
            select(m.GroundTruth.key, m.GroundTruth.value).where(m.GroundTruth.kind == "daily_gross_sales")
        ):
            start = date.fromisoformat(truth["start"])
            for offset, (gross, net) in enumerate(
                zip(truth["gross_cents"], truth["net_of_discount_cents"], strict=True)
            ):
                day = start + timedelta(days=offset)
                posted_gross = -by_line[("gross_sales", channel_of[channel], day)]
                posted_net = posted_gross - by_line[("discounts", channel_of[channel], day)]
                assert (channel, day, posted_gross, posted_net) == (
                    channel,
                    day,
                    D(gross) / 100,
                    D(net) / 100,
                )
                checked += 1
        assert checked == 4 * 70

        # The books balance and inventory is the sum of the open cost layers.
        assert s.scalar(select(func.sum(m.Posting.amount))) == 0
        inventory = s.scalar(
            select(func.sum(m.Posting.store_amount))
            .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
            .where(m.LedgerAccount.code == "1300")
        )
        assert inventory == s.scalar(select(func.sum(m.CostLayer.remaining_value)))
        # Units in the layers are the units on the shelves or travelling to FBA.
        units = s.scalar(
            select(func.sum(m.StockMovement.quantity)).where(
                m.StockMovement.kind.not_in(["transfer_in", "transfer_out"])
            )
        )
        assert s.scalar(select(func.sum(m.CostLayer.remaining))) == units

        # COGS follows the stock: the posted FIFO cost of goods sold equals an independent
        # unit-by-unit FIFO in exact fractions, up to the cents the books round to (at most a
        # cent and a half per receipt: its value and its share of freight and duty).
        assert summary.get("provisional_costs", 0) == 0
        posted_cogs = s.scalar(
            select(func.sum(m.Posting.store_amount))
            .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
            .where(m.LedgerAccount.code == "5000")
        )
        receipts = s.scalar(
            select(func.count()).select_from(m.StockMovement).where(m.StockMovement.kind == "receipt")
        )
        difference = abs(Fraction(posted_cogs) - independent_fifo_cogs(s))
        assert difference <= Fraction(15, 1000) * receipts
        # ...and differs from the generator's own record (today's supplier price, no freight or
        # duty) by the landed cost and the FIFO layering: a real difference, not rounding.
        recorded = s.scalar(
            select(func.sum(-m.StockMovement.quantity * m.StockMovement.unit_cost)).where(
                m.StockMovement.kind == "sale"
            )
        )
        assert abs(posted_cogs - recorded) > 1


def test_foreign_currency_orders_convert_at_the_rate_or_wait_for_one(engine):
    ids = build_store(engine)
    with transaction(engine) as s:
        amazon = s.scalar(select(m.Channel.id).where(m.Channel.code == "amazon"))
        s.add(
            m.ExchangeRate(
                day=DAY1, from_currency="CAD", to_currency="USD", rate=D("0.7500"), source="imported"
            )
        )
        for number, currency in (("CA-1", "CAD"), ("EU-1", "EUR")):
            order = m.Order(
                channel_id=amazon,
                external_id=number,
                number=number,
                ordered_at=at(DAY2, 12),
                order_date=DAY2,
                currency=currency,
                subtotal=D("40.00"),
                total=D("40.00"),
                financial_status="paid",
                fulfillment_status="fulfilled",
            )
            s.add(order)
            s.flush()
            s.add(
                m.OrderLine(
                    order_id=order.id, variant_id=ids["a"], title="Mug A", quantity=2, unit_price=D("20.00")
                )
            )
    with transaction(engine) as s:
        summary = post_ledger(s, NOW)
        rows = s.execute(
            select(m.LedgerAccount.code, m.Posting.amount, m.Posting.currency, m.Posting.store_amount)
            .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
            .where(m.Posting.currency == "CAD")
            .order_by(m.Posting.id)
        ).all()
    # The CAD order is booked at the table's rate (the latest on or before its day); the EUR one
    # waits for a rate and is posted by the first run after one is imported.
    assert [tuple(row) for row in rows] == [
        ("4000.amazon", D("-40.00"), "CAD", D("-30.00")),
        ("1100.amazon", D("40.00"), "CAD", D("30.00")),
    ]
    assert summary["waiting_for_exchange_rate"] == 1
    with transaction(engine) as s:
        s.add(
            m.ExchangeRate(
                day=DAY2, from_currency="EUR", to_currency="USD", rate=D("1.1000"), source="imported"
            )
        )
    with transaction(engine) as s:
        again = post_ledger(s, NOW)
    assert (again["entries_written"], again["waiting_for_exchange_rate"]) == (1, 0)
    assert balances(engine)["4000.amazon"] == D("-25.00") - D("30.00") - D("44.00")


def test_operating_expenses_post_one_entry_per_occurrence_up_to_today(engine):
    build_store(engine)
    with transaction(engine) as s:
        s.add(
            m.OperatingExpense(
                name="Warehouse rent",
                category="rent",
                amount=D("2400.00"),
                currency="USD",
                starts_on=date(2025, 12, 1),
                recurrence="monthly",
                created_at=NOW,
            )
        )
    with transaction(engine) as s:
        summary = post_ledger(s, NOW)  # 2026-02-10: December, January and February have fallen due
        kinds = s.scalars(
            select(m.JournalEntry.kind)
            .where(m.JournalEntry.cause == "operating_expense")
            .order_by(m.JournalEntry.business_day)
        ).all()
    assert summary["operating_expense_posted"] == 1
    assert kinds == ["expense:2025-12-01", "expense:2026-01-01", "expense:2026-02-01"]
    totals = balances(engine)
    assert totals["7000.rent"] == D("7200.00")
    assert totals["2000"] == D("-165.00") - D("7200.00")
    with transaction(engine) as s:
        later = post_ledger(s, datetime(2026, 3, 2, 15, tzinfo=UTC))
    # March's rent falls due: the expense is re-posted with its four occurrences.
    assert (later["operating_expense_reposted"], later["entries_deleted"], later["entries_written"]) == (
        1,
        3,
        4,
    )
    assert balances(engine)["7000.rent"] == D("9600.00")


def test_the_cost_method_is_a_setting():
    from sasame.core.errors import ConfigError
    from sasame.finance.service import configured_cost_method

    assert configured_cost_method({}) == "fifo"
    assert configured_cost_method({"SASAME_COST_METHOD": " Average "}) == "average"
    with pytest.raises(ConfigError, match="SASAME_COST_METHOD: 'lifo' is not one of fifo, average"):
        configured_cost_method({"SASAME_COST_METHOD": "lifo"})


def test_marketplace_reimbursements_for_lost_stock_offset_the_write_off(engine):
    build_store(engine)
    with transaction(engine) as s:
        payout = s.scalar(select(m.Payout.id).where(m.Payout.external_id == "AMZ-1"))
        s.add(
            m.PayoutLine(
                payout_id=payout,
                kind="adjustment",
                fee_type="FBA_Reimbursement",
                occurred_at=at(DAY3, 20),
                amount=D("12.00"),
                currency="USD",
                description="Lost inventory reimbursement",
            )
        )
    with transaction(engine) as s:
        post_ledger(s, NOW)
    totals = balances(engine)
    assert totals["5100"] == D("11.00") - D("12.00")  # the damaged mug, less what Amazon paid back
    assert totals["1100.amazon"] == D("17.03") + D("12.00")


def test_amazon_ads_paid_from_the_settlement_and_a_payout_that_lands(engine):
    build_store(engine)
    with transaction(engine) as s:
        payout = s.scalar(select(m.Payout).where(m.Payout.external_id == "AMZ-1"))
        campaign = m.AdCampaign(platform="amazon_ads", external_id="sp1", name="Sponsored mugs")
        s.add(campaign)
        s.flush()
        ad_set = m.AdSet(campaign_id=campaign.id, external_id="g1", name="Mugs")
        s.add(ad_set)
        s.flush()
        ad = m.Ad(ad_set_id=ad_set.id, external_id="k1", name="mug keyword")
        s.add(ad)
        s.flush()
        s.add(
            m.AdSpendDay(
                ad_id=ad.id,
                spend_date=DAY2,
                spend=D("8.00"),
                currency="USD",
                impressions=300,
                clicks=9,
                conversions=1,
                conversion_value=D(25),
            )
        )
        # Amazon takes the ad bill out of the settlement: the line settles what the ad spend owes.
        s.add(
            m.PayoutLine(
                payout_id=payout.id,
                kind="fee",
                fee_type="cost_of_advertising",
                occurred_at=at(DAY3, 20),
                amount=D("-8.00"),
                currency="USD",
            )
        )
        payout.amount = D("9.03")
    with transaction(engine) as s:
        post_ledger(s, NOW)
    totals = balances(engine)
    assert totals["6300.amazon_ads"] == D("8.00")
    assert totals["1100.amazon"] == D("9.03")  # 17.03 - 8.00 of ads: exactly the payout in transit
    assert totals["2050"] == D("-30.10")  # the Amazon ads never touch the card

    with transaction(engine) as s:
        s.execute(update(m.Payout).where(m.Payout.external_id == "AMZ-1").values(status="paid"))
    with transaction(engine) as s:
        landed = post_ledger(s, NOW)
    assert (landed["payout_posted"], landed["entries_written"]) == (1, 1)
    totals = balances(engine)
    assert "1100.amazon" not in totals
    assert totals["1000"] == D("54.54") + D("9.03")
