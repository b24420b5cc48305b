"""Properties on random sequences of purchases, sales, returns, refunds and write-offs.

- every entry balances (debits equal credits), and so does the whole ledger;
- the inventory value equals the sum of the open cost layers;
- opening inventory + purchases - COGS - write-offs = closing inventory.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from sasame import models as m
from sasame.db import make_engine, transaction, upgrade
from sasame.finance.cogs import CostEngine, StockEvent
from sasame.finance.service import post_ledger

D = Decimal
START = datetime(2026, 1, 5, 15, tzinfo=UTC)
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@dataclass(frozen=True)
class Op:
    kind: str  # buy, sell, return, refund, write_off
    variant: int  # 0 or 1
    quantity: int
    cents: int  # unit cost (buy) or unit price (sell)
    target: int  # for return/refund: which earlier sale (modulo the sales so far)


ops = st.lists(
    st.builds(
        Op,
        kind=st.sampled_from(["buy", "buy", "sell", "sell", "sell", "return", "refund", "write_off"]),
        variant=st.integers(0, 1),
        quantity=st.integers(1, 12),
        cents=st.integers(1, 4_000),
        target=st.integers(0, 1_000),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(ops, st.sampled_from(["fifo", "average"]))
def test_cost_engine_conserves_value(sequence, method):
    engine = CostEngine(method)
    purchases = cogs = write_offs = D(0)
    sales: list[tuple[int, int, int]] = []  # (key, variant, quantity not yet returned)
    units = [0, 0]
    for key, op in enumerate(sequence):
        if op.kind == "buy":
            value = D(op.cents * op.quantity) / 100
            [costed] = engine.apply(StockEvent(key, op.variant, "receipt", op.quantity, value))
            purchases += value
            cogs += costed.true_up
            units[op.variant] += op.quantity
        elif op.kind == "sell":
            [costed] = engine.apply(StockEvent(key, op.variant, "sale", op.quantity, None, None, D("2.50")))
            cogs += costed.value
            sales.append((key, op.variant, op.quantity))
            units[op.variant] -= op.quantity
        elif op.kind == "return" and sales:
            index = op.target % len(sales)
            sale_key, variant, left = sales[index]
            back = min(op.quantity, left)
            if back == 0:
                continue
            sales[index] = (sale_key, variant, left - back)
            [costed] = engine.apply(StockEvent(key, variant, "return", back, None, sale_key))
            # Units back fill any shortfall first, truing up its provisional cost like a receipt.
            cogs += costed.true_up - costed.value
            units[variant] += back
        elif op.kind == "write_off":
            [costed] = engine.apply(
                StockEvent(key, op.variant, "write_off", op.quantity, None, None, D("2.50"))
            )
            write_offs += costed.value
            units[op.variant] -= op.quantity
    closing = engine.inventory_value()
    assert D(0) + purchases - cogs - write_offs == closing
    for variant in (0, 1):
        layers = engine.layers(variant)
        short, short_value = engine.shortfall(variant)
        assert engine.inventory_value(variant) == sum((layer.value for layer in layers), D(0)) - short_value
        assert sum(layer.remaining for layer in layers) - short == units[variant]
        assert all(layer.remaining > 0 and layer.value >= 0 for layer in layers)


def _build(engine, sequence: list[Op]) -> None:
    """Write the sequence as a store: a PO receipt per buy, an order + sale per sell, and so on."""
    with transaction(engine) as s:
        s.add(
            m.BusinessSetting(name="Prop Co", currency="USD", timezone="America/New_York", created_at=START)
        )
        channel = m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD")
        location = m.Location(code="wh", name="Warehouse", kind="warehouse")
        product = m.Product(handle="p", title="P", category="c")
        supplier = m.Supplier(name="S", currency="USD", quoted_lead_time_days=10)
        s.add_all([channel, location, product, supplier])
        s.flush()
        variants = [
            m.Variant(product_id=product.id, sku=f"SKU-{i}", title=f"SKU {i}", price=D(10), currency="USD")
            for i in range(2)
        ]
        s.add_all(variants)
        s.flush()
        sold: list[tuple[m.Order, m.OrderLine, int]] = []
        for step, op in enumerate(sequence):
            when = START + timedelta(hours=7 * step)
            variant = variants[op.variant]
            if op.kind == "buy":
                po = m.PurchaseOrder(
                    number=f"PO-{step}",
                    supplier_id=supplier.id,
                    location_id=location.id,
                    status="received",
                    ordered_at=when,
                    expected_on=when.date(),
                    currency="USD",
                    freight_cost=D(op.cents % 700) / 100,
                )
                s.add(po)
                s.flush()
                line = m.PurchaseOrderLine(
                    purchase_order_id=po.id,
                    variant_id=variant.id,
                    quantity_ordered=op.quantity + op.target % 3,  # a partial receipt, sometimes
                    quantity_received=op.quantity,
                    unit_cost=D(op.cents) / 100,
                )
                s.add(line)
                s.flush()
                s.add(
                    m.StockMovement(
                        variant_id=variant.id,
                        location_id=location.id,
                        kind="receipt",
                        quantity=op.quantity,
                        unit_cost=line.unit_cost,
                        currency="USD",
                        moved_at=when,
                        purchase_order_line_id=line.id,
                    )
                )
            elif op.kind == "sell":
                price = D(op.cents) / 100
                order = m.Order(
                    channel_id=channel.id,
                    external_id=f"o{step}",
                    number=f"#{step}",
                    ordered_at=when,
                    order_date=when.date(),
                    currency="USD",
                    subtotal=price * op.quantity,
                    tax_total=D(op.target % 500) / 100,
                    total=price * op.quantity + D(op.target % 500) / 100,
                    financial_status="paid",
                    fulfillment_status="fulfilled",
                )
                s.add(order)
                s.flush()
                line = m.OrderLine(
                    order_id=order.id,
                    variant_id=variant.id,
                    title="x",
                    quantity=op.quantity,
                    unit_price=price,
                )
                s.add(line)
                s.flush()
                s.add(
                    m.StockMovement(
                        variant_id=variant.id,
                        location_id=location.id,
                        kind="sale",
                        quantity=-op.quantity,
                        unit_cost=D("2.50"),
                        currency="USD",
                        moved_at=when,
                        order_line_id=line.id,
                    )
                )
                sold.append((order, line, op.quantity))
            elif op.kind in {"return", "refund"} and sold:
                index = op.target % len(sold)
                order, line, left = sold[index]
                back = min(op.quantity, left)
                if back == 0:
                    continue
                sold[index] = (order, line, left - back)
                rma = m.Return(
                    rma_number=f"R{step}",
                    order_id=order.id,
                    status="refunded",
                    reason="changed_mind",
                    requested_at=when,
                    received_at=when,
                    currency="USD",
                )
                s.add(rma)
                s.flush()
                return_line = m.ReturnLine(
                    return_id=rma.id, order_line_id=line.id, quantity=back, condition="restockable"
                )
                s.add(return_line)
                s.add(
                    m.Refund(
                        order_id=order.id,
                        return_id=rma.id,
                        refunded_at=when,
                        amount=line.unit_price * back,
                        currency="USD",
                    )
                )
                s.flush()
                if op.kind == "return":  # a refund without the goods coming back moves no stock
                    s.add(
                        m.StockMovement(
                            variant_id=line.variant_id,
                            location_id=location.id,
                            kind="return",
                            quantity=back,
                            currency="USD",
                            moved_at=when,
                            return_line_id=return_line.id,
                        )
                    )
            elif op.kind == "write_off":
                s.add(
                    m.StockMovement(
                        variant_id=variant.id,
                        location_id=location.id,
                        kind="write_off",
                        quantity=-op.quantity,
                        unit_cost=D("2.50"),
                        currency="USD",
                        moved_at=when,
                    )
                )


def _balance(session, code: str) -> Decimal:
    total = session.scalar(
        select(func.sum(m.Posting.store_amount))
        .join(m.LedgerAccount, m.LedgerAccount.id == m.Posting.account_id)
        .where(m.LedgerAccount.code == code)
    )
    return total or D(0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops, st.sampled_from(["fifo", "average"]))
def test_posted_books_balance_and_inventory_follows_the_layers(sequence, method):
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'prop.db'}")
        try:
            upgrade(engine)
            _build(engine, sequence)
            with transaction(engine) as s:
                post_ledger(s, NOW, method=method)
            with transaction(engine) as s:
                # Debits equal credits in every entry and overall.
                assert s.scalar(select(func.coalesce(func.sum(m.Posting.amount), 0))) == 0
                assert (
                    s.execute(
                        select(m.Posting.entry_id)
                        .group_by(m.Posting.entry_id)
                        .having(func.sum(m.Posting.amount) != 0)
                    ).all()
                    == []
                )
                closing = _balance(s, "1300")
                layers = s.scalar(select(func.coalesce(func.sum(m.CostLayer.remaining_value), 0)))
                assert closing == layers
                purchases = -_balance(s, "2000")  # every receipt is owed to its supplier
                cogs = _balance(s, "5000")
                write_offs = _balance(s, "5100")
                assert D(0) + purchases - cogs - write_offs == closing
                # Sales revenue minus refunds of merchandise is what the orders and refunds say.
                refunded = s.scalar(select(func.coalesce(func.sum(m.Refund.amount), 0)))
                assert _balance(s, "4300") == refunded
            with transaction(engine) as s:
                again = post_ledger(s, NOW, method=method)
            assert again.get("entries_written", 0) == 0 and again.get("entries_deleted", 0) == 0
        finally:
            engine.dispose()
