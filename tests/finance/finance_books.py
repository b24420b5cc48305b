"""Small hand-written books for the finance report tests: every figure is known in advance.

Store USD, America/New_York. Two channels (Shopify, Amazon), two SKUs of one product. The
journal entries (built with the ledger's own writer, so they balance) are, in profit effects:

    2025-03-03 (Mon)  Shopify order 1, SKU A: gross 100.00, discount -10.00, shipping income 5.00,
                      tax 8.00 (payable); COGS A -30.00; processing fee -3.20; label -6.00
    2025-03-03        Amazon order 2, SKU B: gross 50.00; referral fee -7.50; FBA fee -3.22;
                      COGS B -12.00
    2025-03-04 (Tue)  return of order 1: returns -45.00, COGS back +15.00 (SKU A);
                      Google ads -20.00 (no channel); chargeback on order 1 -25.00
    2025-03-10 (Mon)  rent -300.00 (operating expense)

So 03-03: net revenue 145.00, COGS -42.00, gross margin 103.00, fulfilment -19.92,
contribution 83.08. 03-04: net revenue -70.00, COGS +15.00, gross margin -55.00,
advertising -20.00. 03-10: operating expenses -300.00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.db import transaction
from sasame.finance import accounts as a
from sasame.finance.ledger import EntryDraft, identity_converter, write_entries

TZ = ZoneInfo("America/New_York")
D1, D2, D3 = date(2025, 3, 3), date(2025, 3, 4), date(2025, 3, 10)
NOW = datetime(2025, 3, 12, 15, 0, tzinfo=UTC)


@dataclass
class Books:
    shopify: int
    amazon: int
    sku_a: int
    sku_b: int
    product: int
    order_1: int
    order_2: int


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ).astimezone(UTC)


def build_books(engine: Engine) -> Books:
    with transaction(engine) as session:
        session.add(
            m.BusinessSetting(name="Books Co", currency="USD", timezone="America/New_York", created_at=NOW)
        )
        shopify = m.Channel(code="shopify", name="Shopify", kind="shopify", currency="USD")
        amazon = m.Channel(code="amazon", name="Amazon", kind="amazon", currency="USD")
        product = m.Product(handle="tee", title="Tee", category="apparel")
        session.add_all([shopify, amazon, product])
        session.flush()
        sku_a = m.Variant(
            product_id=product.id, sku="TEE-A", title="Tee A", price=Decimal(100), currency="USD"
        )
        sku_b = m.Variant(
            product_id=product.id, sku="TEE-B", title="Tee B", price=Decimal(50), currency="USD"
        )
        session.add_all([sku_a, sku_b])
        session.flush()
        orders = []
        for number, channel, day, total in (("#1", shopify, D1, "103.00"), ("A-2", amazon, D1, "50.00")):
            order = m.Order(
                channel_id=channel.id,
                external_id=number,
                number=number,
                ordered_at=at(day),
                order_date=day,
                currency="USD",
                subtotal=Decimal(total),
                total=Decimal(total),
                financial_status="paid",
                fulfillment_status="fulfilled",
            )
            session.add(order)
            orders.append(order)
        session.flush()
        books = Books(shopify.id, amazon.id, sku_a.id, sku_b.id, product.id, orders[0].id, orders[1].id)
        _post(session, books)
    return books


def _post(session: Session, books: Books) -> None:
    chart = a.ensure_chart(session)
    code = {code: id_ for code, id_ in session.execute(select(m.LedgerAccount.code, m.LedgerAccount.id))}
    sales_shopify, sales_amazon = code["4000.shopify"], code["4000.amazon"]
    clearing_shopify, clearing_amazon = code["1100.shopify_payments"], code["1100.amazon"]
    referral = chart.id_of(a.fee_spec("amazon", "commission"))
    fba = chart.id_of(a.fee_spec("amazon", "fba_fulfilment"))
    processing = chart.id_of(a.fee_spec("shopify_payments", "processing"))
    rent = chart.id_of(a.expense_spec("rent"))
    google = code["6300.google"]
    inventory, cogs, bank = code[a.INVENTORY], code[a.COGS], code[a.BANK]
    drafts = []

    def draft(kind: str, day: date, cause: str, cause_id: int, channel: int | None) -> EntryDraft:
        entry = EntryDraft(
            kind,
            occurred_at=at(day),
            business_day=day,
            cause=cause,
            cause_id=cause_id,
            currency="USD",
            channel_id=channel,
        )
        drafts.append(entry)
        return entry

    o1, o2, sa, sb = books.order_1, books.order_2, books.sku_a, books.sku_b
    sale = draft("sale", D1, "order", o1, books.shopify)
    sale.add(sales_shopify, Decimal("-100"), order_id=o1, variant_id=sa)
    sale.add(code[a.DISCOUNTS], Decimal("10"), order_id=o1, variant_id=sa)
    sale.add(code[a.SHIPPING_INCOME], Decimal("-5"), order_id=o1)
    sale.add(code[a.SALES_TAX_PAYABLE], Decimal("-8"), order_id=o1)
    sale.add(clearing_shopify, Decimal("103"), order_id=o1)
    cost = draft("cogs", D1, "stock_movement", 1, books.shopify)
    cost.add(cogs, Decimal("30"), order_id=o1, variant_id=sa)
    cost.add(inventory, Decimal("-30"), variant_id=sa)
    fee = draft("fee", D1, "payout_line", 1, books.shopify)
    fee.add(processing, Decimal("3.20"), order_id=o1)
    fee.add(clearing_shopify, Decimal("-3.20"), order_id=o1)
    label = draft("shipping_label", D1, "shipment", 1, books.shopify)
    label.add(code[a.SHIPPING_LABELS], Decimal("6"), order_id=o1)
    label.add(code[a.CARD_PAYABLE], Decimal("-6"))

    sale = draft("sale", D1, "order", o2, books.amazon)
    sale.add(sales_amazon, Decimal("-50"), order_id=o2, variant_id=sb)
    sale.add(clearing_amazon, Decimal("50"), order_id=o2)
    fee = draft("fee", D1, "payout_line", 2, books.amazon)
    fee.add(referral, Decimal("7.50"), order_id=o2)
    fee.add(fba, Decimal("3.22"), order_id=o2)
    fee.add(clearing_amazon, Decimal("-10.72"), order_id=o2)
    cost = draft("cogs", D1, "stock_movement", 2, books.amazon)
    cost.add(cogs, Decimal("12"), order_id=o2, variant_id=sb)
    cost.add(inventory, Decimal("-12"), variant_id=sb)

    back = draft("refund", D2, "refund", 1, books.shopify)
    back.add(code[a.RETURNS], Decimal("45"), order_id=o1, variant_id=sa)
    back.add(clearing_shopify, Decimal("-45"), order_id=o1)
    restock = draft("return", D2, "stock_movement", 3, books.shopify)
    restock.add(inventory, Decimal("15"), variant_id=sa)
    restock.add(cogs, Decimal("-15"), order_id=o1, variant_id=sa)
    ads = draft("ad_spend", D2, "ad_spend_day", 1, None)
    ads.add(google, Decimal("20"))
    ads.add(code[a.CARD_PAYABLE], Decimal("-20"))
    dispute = draft("chargeback", D2, "chargeback", 1, books.shopify)
    dispute.add(code[a.CHARGEBACKS], Decimal("25"), order_id=o1)
    dispute.add(clearing_shopify, Decimal("-25"), order_id=o1)
    expense = draft("expense", D3, "operating_expense", 1, None)
    expense.add(rent, Decimal("300"))
    expense.add(bank, Decimal("-300"))
    write_entries(session, drafts, identity_converter("USD"), "USD")
