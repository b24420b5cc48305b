"""Demand history from orders and stock movements, on a tiny store whose answers are known."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from tiny_store import TODAY, build, sell

from sasame.inventory.demand import PriceChange, frames, stockout_agreement


def _frames(engine: Engine):
    build(engine)
    with Session(engine) as session:
        return frames(session, TODAY)


def test_units_sold_per_day_with_bundles_exploded_and_cancelled_orders_left_out(engine: Engine):
    history = _frames(engine)
    at = history.index()
    assert history.start == date(2025, 3, 1) and history.days == 10
    assert history.units[at["MUG"]].tolist() == [2, 3, 0, 2, 0, 0, 0, 0, 0, 0]  # 1 + 1 in a GIFT on 03-04
    assert history.units[at["TEE-S"]].tolist() == [0, 0, 0, 2, 3, 0, 0, 0, 0, 0]  # 2 per GIFT
    assert history.units[at["GIFT"]].tolist() == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    assert history.units[at["TEE-M"]].sum() == 0
    assert history.by_channel["shopify"][at["MUG"]].sum() == 7
    assert history.by_location["warehouse"][at["MUG"]].sum() == 7


def test_stock_available_each_morning_counts_sales_on_the_order_day(engine: Engine):
    history = _frames(engine)
    mug = history.index()["MUG"]
    # Opening 5; 2 and 3 sold; the 10 received on 03-03 at 14:00 are on the shelf on 03-04.
    assert history.available["warehouse"][mug].tolist() == [5, 3, 0, 10, 8, 8, 8, 8, 8, 8]
    gift = history.index()["GIFT"]
    assert history.available["warehouse"][gift][:5].tolist() == [5, 3, 0, 5, 4]  # min(MUG, TEE-S // 2)


def test_a_stocked_out_day_is_censored_not_zero_demand(engine: Engine):
    history = _frames(engine)
    at = history.index()
    # 03-02 sold its last unit (demand may have been higher), 03-03 started with nothing.
    assert np.flatnonzero(history.stocked_out["warehouse"][at["MUG"]]).tolist() == [1, 2]
    assert np.flatnonzero(history.censored[at["MUG"]]).tolist() == [1, 2]
    assert not history.censored[at["TEE-S"]].any()
    assert not history.stocked_out["fba"].any()  # nothing is sold from FBA in this store
    table, censored, _ = history.history(["MUG"])
    assert table["y"].tolist()[:4] == [2.0, 3.0, 0.0, 2.0]
    assert censored.tolist()[:4] == [False, True, True, False]


def test_promotion_days_are_campaign_codes_not_welcome_codes(engine: Engine):
    history = _frames(engine)
    at = history.index()
    assert np.flatnonzero(history.promoted[at["TEE-S"]]).tolist() == [4]
    assert np.flatnonzero(history.promoted[at["MUG"]]).tolist() == [4]
    assert not history.promoted[at["TEE-M"]].any()  # never sold on the channel
    assert history.net_price_units[at["TEE-S"], 4] == 250_000  # $25.0000 in 1/10,000ths
    assert history.net_price_units[at["MUG"]][:4].tolist() == [200_000, 200_000, 0, 180_000]
    assert history.price_changes == []  # MUG's $2 off one order on 03-04 is a discount, not a new price


def test_list_price_changes_per_channel_not_discounts_or_the_channel_mix(engine: Engine):
    build(engine)
    sell(engine, "TEE-S", date(2025, 3, 7), "22.00")  # repriced from the 25.00 of 03-05
    sell(engine, "TEE-S", date(2025, 3, 8), "27.00", "amazon")  # its first sale there: no change
    sell(engine, "TEE-S", date(2025, 3, 9), "22.00")
    sell(engine, "TEE-S", date(2025, 3, 10), "27.50", "amazon")  # Amazon's price moves
    with Session(engine) as session:
        history = frames(session, TODAY)
    tee_s = history.index()["TEE-S"]
    assert history.price_changes == [
        PriceChange(tee_s, 6, "shopify", 250_000, 220_000),
        PriceChange(tee_s, 9, "amazon", 270_000, 275_000),
    ]
    # The day's average moves with the channel mix; that is no price change.
    assert history.net_price_units[tee_s][6:10].tolist() == [220_000, 270_000, 220_000, 275_000]


def test_variants_grouped_with_their_product(engine: Engine):
    history = _frames(engine)
    assert history.profiles() == {
        "GIFT": "category:home",
        "MUG": "category:home",
        "TEE-M": "product:tee",
        "TEE-S": "product:tee",
    }
    shares = history.size_share()
    assert shares["TEE-S"] == 1.0 and shares["TEE-M"] == 0.0


def test_csv_rows_for_the_backtest(engine: Engine):
    rows = list(_frames(engine).to_csv_rows())
    assert rows[0] == ["sku", "date", "units", "unit_cost", "price"]
    mug = [row for row in rows[1:] if row[0] == "MUG"]
    assert mug[:2] == [
        ["MUG", "2025-03-01", "2", "6.00", "20.00"],
        ["MUG", "2025-03-02", "3", "6.00", "20.00"],
    ]
    assert len(mug) == 10
    assert not any(row[0] == "GIFT" for row in rows)  # a bundle's units are in its components


def test_stockout_agreement_counts_cells(engine: Engine):
    history = _frames(engine)
    result = stockout_agreement(history, {("MUG", "warehouse"): ["2025-03-03", "2025-03-05"]})
    assert result["known"] == 2 and result["detected"] == 2 and result["both"] == 1
    assert result["recall"] == 0.5 and result["precision"] == 0.5
    assert Decimal(str(result["jaccard"])) == Decimal("0.3333333333333333")


def test_one_skus_frames_are_its_rows_of_the_whole_stores(engine: Engine):
    build(engine)
    with Session(engine) as session:
        whole = frames(session, TODAY)
        for sku in ("MUG", "TEE-S", "TEE-M", "GIFT"):
            alone = frames(session, TODAY, skus=[sku])
            # The SKU, the bundles that hold it and a bundle's parts (GIFT = MUG + 2 TEE-S), nothing else.
            assert alone.sku == {
                "MUG": ["GIFT", "MUG"],
                "TEE-S": ["GIFT", "TEE-S"],
                "GIFT": ["GIFT", "MUG", "TEE-S"],
            }.get(sku, [sku])
            i, j = whole.index()[sku], alone.index()[sku]
            assert (alone.start, alone.days) == (whole.start, whole.days)
            for name in ("units", "active", "promoted", "net_price_units", "censored"):
                assert np.array_equal(getattr(alone, name)[j], getattr(whole, name)[i]), (sku, name)
            for name in ("by_location", "available", "stocked_out"):
                for place, grid in getattr(whole, name).items():
                    assert np.array_equal(getattr(alone, name)[place][j], grid[i]), (sku, name, place)
            for channel, grid in whole.by_channel.items():
                sold = alone.by_channel[channel][j] if channel in alone.by_channel else 0
                assert np.array_equal(grid[i], np.broadcast_to(sold, grid[i].shape)), (sku, channel)
        # TEE-S's promotion day (3 of 3 orders with SPRING) is judged on every order, as in the whole.
        assert frames(session, TODAY, skus=["TEE-S"]).promoted.any()


def test_without_promotions_the_same_history_is_read_and_no_day_is_promoted(engine: Engine):
    """The chart's reading: promotion days are not judged (1.3 s of a 10,000-SKU store's chart was
    counting every order per channel and day for them), everything else is as read with them."""
    build(engine)
    with Session(engine) as session:
        for sku in ("MUG", "TEE-S"):
            judged = frames(session, TODAY, skus=[sku])
            plain = frames(session, TODAY, skus=[sku], promotions=False)
            assert judged.promoted.any() and not plain.promoted.any()  # 03-05 is SPRING's day
            assert (plain.sku, plain.start, plain.days) == (judged.sku, judged.start, judged.days)
            for name in ("units", "active", "net_price_units", "censored"):
                assert np.array_equal(getattr(plain, name), getattr(judged, name)), (sku, name)
