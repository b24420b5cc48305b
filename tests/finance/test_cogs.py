"""The pure cost engine: published known answers, landed cost, returns, bundles, negative stock."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sasame.finance.cogs import CostEngine, StockEvent, landed_line_values

D = Decimal


def receipt(key: int, quantity: int, value: str, variant: int = 1) -> StockEvent:
    return StockEvent(key, variant, "receipt", quantity, D(value))


def sale(key: int, quantity: int, variant: int = 1, fallback: str | None = None) -> StockEvent:
    return StockEvent(key, variant, "sale", quantity, None, None, D(fallback) if fallback else None)


def test_fifo_known_answer_from_the_references():
    # references.md §6.1: buy 20 @ $6 and 30 @ $7, then sell 15 and 20.
    engine = CostEngine("fifo")
    costed = engine.run([receipt(1, 20, "120"), receipt(2, 30, "210"), sale(3, 15), sale(4, 20)])
    assert [c.value for c in costed[2:]] == [D("90.00"), D("135.00")]
    # 15 units of the $7 layer are left.
    assert [(layer.remaining, layer.value) for layer in engine.layers(1)] == [(15, D("105.00"))]
    assert engine.inventory_value() == D("105.00")


def test_moving_average_known_answer_from_the_references():
    engine = CostEngine("average")
    costed = engine.run([receipt(1, 20, "120"), receipt(2, 30, "210"), sale(3, 15), sale(4, 20)])
    assert [c.value for c in costed[2:]] == [D("99.00"), D("132.00")]
    assert engine.inventory_value() == D("99.00")
    assert engine.on_hand(1) == 15


@pytest.mark.parametrize(("method", "expected"), [("fifo", "112.00"), ("average", "120.00")])
def test_odoo_valuation_example(method, expected):
    # Odoo's inventory valuation docs: receive 8 x EUR 10 and 4 x EUR 16, deliver 10.
    engine = CostEngine(method, "EUR")
    costed = engine.run([receipt(1, 8, "80"), receipt(2, 4, "64"), sale(3, 10)])
    assert costed[-1].value == D(expected)
    assert engine.inventory_value() == D(144) - D(expected)


def test_moving_average_loses_no_cent_to_rounding():
    engine = CostEngine("average")
    costed = engine.run([receipt(1, 3, "10.00"), sale(2, 1), sale(3, 1), sale(4, 1)])
    assert [c.value for c in costed[1:]] == [D("3.33"), D("3.34"), D("3.33")]
    assert sum(c.value for c in costed[1:]) == D("10.00")
    assert engine.inventory_value() == 0


def test_landed_cost_allocates_freight_and_duty_by_line_value():
    # Lines worth $50 and $200 share $20 freight + $5 duty as $5 and $20.
    values = landed_line_values([(10, D("5")), (20, D("10"))], D("20"), D("5"), "USD")
    assert values == [D("55.00"), D("220.00")]
    # Uneven shares lose no cent: $10 over three equal lines.
    values = landed_line_values([(1, D("1")), (1, D("1")), (1, D("1"))], D("10"), D("0"), "USD")
    assert values == [D("4.34"), D("4.33"), D("4.33")]
    assert sum(values) == D("13.00")


def test_restockable_return_comes_back_at_the_cost_it_left_with():
    engine = CostEngine("fifo")
    costed = engine.run(
        [
            receipt(1, 10, "50"),  # $5
            receipt(2, 10, "80"),  # $8
            sale(3, 15),  # 10 x 5 + 5 x 8 = 90, i.e. $6 a unit
            StockEvent(4, 1, "return", 3, returns_key=3),  # 3 back at $6 = 18
            sale(5, 7),  # the 5 left at $8 (40), then 2 of the returned at $6 (12)
        ]
    )
    assert [c.value for c in costed] == [D("50"), D("80"), D("90.00"), D("18.00"), D("52.00")]
    assert engine.inventory_value() == D("6.00")
    assert engine.on_hand(1) == 1


def test_write_off_consumes_the_oldest_units():
    engine = CostEngine("fifo")
    costed = engine.run([receipt(1, 2, "8"), receipt(2, 5, "25"), StockEvent(3, 1, "write_off", 3)])
    assert costed[-1].value == D("13.00")  # 2 x 4 + 1 x 5
    assert engine.inventory_value() == D("20.00")


def test_a_bundle_consumes_its_components():
    engine = CostEngine("fifo", components={99: [(1, 2), (2, 1)]})
    engine.run([receipt(1, 10, "30", variant=1), receipt(2, 10, "70", variant=2)])
    costed = engine.apply(StockEvent(3, 99, "sale", 3))
    assert [(c.variant, c.quantity, c.value) for c in costed] == [(1, 6, D("18.00")), (2, 3, D("21.00"))]
    back = engine.apply(StockEvent(4, 99, "return", 1, returns_key=3))
    assert [(c.variant, c.quantity, c.value) for c in back] == [(1, 2, D("6.00")), (2, 1, D("7.00"))]
    assert engine.on_hand(1) == 6 and engine.on_hand(2) == 8


def test_selling_without_stock_is_provisional_and_trued_up_by_the_next_receipt():
    engine = CostEngine("fifo")
    short = engine.apply(sale(1, 5, fallback="4.00"))[0]
    assert (short.value, short.provisional) == (D("20.00"), True)
    assert engine.shortfall(1) == (5, D("20.00"))
    assert engine.inventory_value() == D("-20.00")
    arrived = engine.apply(receipt(2, 8, "48.00"))[0]
    # The five units really cost $6: the sale was $10 under-costed.
    assert arrived.true_up == D("10.00")
    assert engine.shortfall(1) == (0, D(0))
    assert [(layer.remaining, layer.value) for layer in engine.layers(1)] == [(3, D("18.00"))]


def test_a_shortfall_after_stock_ran_out_uses_the_last_known_cost():
    engine = CostEngine("fifo")
    costed = engine.run([receipt(1, 2, "10"), sale(2, 4), receipt(3, 4, "28")])
    assert (costed[1].value, costed[1].provisional) == (D("20.00"), True)  # 2 x 5 real + 2 x 5 guessed
    assert costed[2].true_up == D("4.00")  # the 2 guessed units really cost 7
    assert engine.inventory_value() == D("14.00")


def test_unknown_method_and_bad_quantities_are_refused():
    with pytest.raises(ValueError, match="cost method"):
        CostEngine("lifo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="quantity must be positive"):
        CostEngine().apply(sale(1, 0))
