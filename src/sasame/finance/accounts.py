"""The chart of accounts of an e-commerce business, created idempotently per store.

Codes are stable strings so reports, exports and tests can name an account without knowing its
id: a number for the family (the order a P&L and a balance sheet read in) and, where an account
exists per channel, payout source, fee type or ad platform, that key after a dot:

====================  ==========  ==================  ===============================================
code                  kind        pnl_line            what it holds
====================  ==========  ==================  ===============================================
1000                  asset                           the bank account payouts are deposited into
1100.<provider>       asset                           clearing: owed by a payout source until it pays
1150.<provider>       asset                           reserve a marketplace holds back (Amazon)
1300                  asset                           inventory at landed cost (sum of open layers)
2000                  liability                       accounts payable to suppliers
2050                  liability                       card and carrier bills (labels, ads on a card)
2200                  liability                       sales tax collected and owed to the state
3000                  equity                          opening balance equity (stock counted at start)
4000.<channel>        income      gross_sales         sales by channel, before discounts
4100                  income      discounts           discounts given (a debit against sales)
4200                  income      shipping_income     shipping charged to buyers, less refunded
4300                  income      returns             returns and allowances (merchandise refunded)
4400                  income      chargebacks         disputed sales taken back (won ones reversed)
4900                  income      other               marketplace adjustments of no known kind
5000                  expense     cogs                cost of goods sold (FIFO or moving average)
5100                  expense     cogs                inventory write-offs, shrinkage, reimbursements
6000.<p>.<fee_type>   expense     marketplace_fees    marketplace fees by source and type
6100.<provider>       expense     payment_processing  card / payment processing fees
6150                  expense     payment_processing  chargeback fees
6200                  expense     shipping            outbound shipping labels
6210                  expense     shipping            return shipping labels
6300.<platform>       expense     advertising         ad spend by platform (google, meta, amazon_ads)
7000.<category>       expense     operating_expenses  the owner's operating expenses by category
7900                  expense     fx                  FX gain (credit) or loss (debit)
====================  ==========  ==================  ===============================================
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.models.marketing import AD_PLATFORMS

BANK = "1000"
INVENTORY = "1300"
ACCOUNTS_PAYABLE = "2000"
CARD_PAYABLE = "2050"
SALES_TAX_PAYABLE = "2200"
OPENING_BALANCE_EQUITY = "3000"
DISCOUNTS = "4100"
SHIPPING_INCOME = "4200"
RETURNS = "4300"
CHARGEBACKS = "4400"
OTHER_INCOME = "4900"
COGS = "5000"
INVENTORY_WRITE_OFFS = "5100"
CHARGEBACK_FEES = "6150"
SHIPPING_LABELS = "6200"
RETURN_LABELS = "6210"
FX_GAIN_LOSS = "7900"

PROVIDER_OF_CHANNEL_KIND = {
    "shopify": "shopify_payments",
    "amazon": "amazon",
    "etsy": "etsy",
    "woocommerce": "stripe",
    "wholesale": "wholesale",
    "other": "other",
}
"""The payout source an order of a channel kind is paid through when no payout says otherwise."""

PROCESSOR_PROVIDERS = frozenset({"shopify_payments", "stripe", "paypal"})
"""Payout sources that are payment processors: all their fees are payment processing."""

PROCESSING_FEE_TYPES = frozenset({"processing", "payment_processing", "card", "transaction_fee_card"})
"""Fee types that are payment processing even when a marketplace charges them (Etsy Payments)."""

CHARGEBACK_FEE_TYPES = frozenset({"chargeback", "dispute"})

REIMBURSEMENT_FEE_TYPES = frozenset(
    {"reimbursement", "fba_reimbursement", "lost_inventory", "damaged_inventory", "warehouse_lost"}
)
"""Marketplace credits for units it lost or damaged: income against the inventory write-off."""

ADVERTISING_FEE_TYPES = frozenset({"advertising", "cost_of_advertising", "sponsored_products"})
"""Fee types by which a marketplace settlement pays for its own ads (Amazon Ads)."""


@dataclass(frozen=True)
class AccountSpec:
    code: str
    name: str
    kind: str
    pnl_line: str | None = None
    channel_id: int | None = None
    platform: str | None = None
    is_clearing: bool = False


BASE_ACCOUNTS = (
    AccountSpec(BANK, "Bank", "asset"),
    AccountSpec(INVENTORY, "Inventory", "asset"),
    AccountSpec(ACCOUNTS_PAYABLE, "Accounts payable (suppliers)", "liability"),
    AccountSpec(CARD_PAYABLE, "Card and carrier bills payable", "liability"),
    AccountSpec(SALES_TAX_PAYABLE, "Sales tax payable", "liability"),
    AccountSpec(OPENING_BALANCE_EQUITY, "Opening balance equity", "equity"),
    AccountSpec(DISCOUNTS, "Discounts", "income", "discounts"),
    AccountSpec(SHIPPING_INCOME, "Shipping income", "income", "shipping_income"),
    AccountSpec(RETURNS, "Returns and allowances", "income", "returns"),
    AccountSpec(CHARGEBACKS, "Chargebacks", "income", "chargebacks"),
    AccountSpec(OTHER_INCOME, "Marketplace adjustments", "income", "other"),
    AccountSpec(COGS, "Cost of goods sold", "expense", "cogs"),
    AccountSpec(INVENTORY_WRITE_OFFS, "Inventory write-offs and shrinkage", "expense", "cogs"),
    AccountSpec(CHARGEBACK_FEES, "Chargeback fees", "expense", "payment_processing"),
    AccountSpec(SHIPPING_LABELS, "Shipping labels", "expense", "shipping"),
    AccountSpec(RETURN_LABELS, "Return shipping labels", "expense", "shipping"),
    AccountSpec(FX_GAIN_LOSS, "FX gain/loss", "expense", "fx"),
)


def clearing_code(provider: str) -> str:
    return f"1100.{provider}"


def reserve_code(provider: str) -> str:
    return f"1150.{provider}"


def sales_code(channel_code: str) -> str:
    return f"4000.{channel_code}"


def advertising_code(platform: str) -> str:
    return f"6300.{platform}"


def expense_code(category: str) -> str:
    return f"7000.{category}"


def fee_spec(provider: str, fee_type: str | None) -> AccountSpec:
    """Return the account a fee of a payout source lands in, by what the fee pays for."""
    kind = (fee_type or "other").strip().lower() or "other"
    if kind in CHARGEBACK_FEE_TYPES:
        return spec_of(CHARGEBACK_FEES)
    if kind in REIMBURSEMENT_FEE_TYPES:
        return spec_of(INVENTORY_WRITE_OFFS)
    if provider in PROCESSOR_PROVIDERS or kind in PROCESSING_FEE_TYPES:
        return AccountSpec(
            f"6100.{provider}",
            f"Payment processing ({provider})",
            "expense",
            "payment_processing",
            platform=provider,
        )
    return AccountSpec(
        f"6000.{provider}.{kind}",
        f"Marketplace fees: {provider} {kind.replace('_', ' ')}",
        "expense",
        "marketplace_fees",
        platform=provider,
    )


def spec_of(code: str) -> AccountSpec:
    for spec in BASE_ACCOUNTS:
        if spec.code == code:
            return spec
    raise KeyError(code)


def clearing_spec(provider: str) -> AccountSpec:
    name = "Accounts receivable (wholesale invoices)" if provider == "wholesale" else f"{provider} clearing"
    return AccountSpec(clearing_code(provider), name, "asset", platform=provider, is_clearing=True)


def reserve_spec(provider: str) -> AccountSpec:
    return AccountSpec(reserve_code(provider), f"Reserve held by {provider}", "asset", platform=provider)


def advertising_spec(platform: str) -> AccountSpec:
    return AccountSpec(
        advertising_code(platform), f"Advertising ({platform})", "expense", "advertising", platform=platform
    )


def expense_spec(category: str) -> AccountSpec:
    return AccountSpec(
        expense_code(category),
        f"Operating expenses: {category.replace('_', ' ')}",
        "expense",
        "operating_expenses",
    )


@dataclass
class Chart:
    """The store's accounts by code; `id_of` creates an account the first time a spec is used."""

    session: Session
    ids: dict[str, int] = field(default_factory=dict)

    def id_of(self, spec: AccountSpec) -> int:
        known = self.ids.get(spec.code)
        if known is not None:
            return known
        row = m.LedgerAccount(
            code=spec.code,
            name=spec.name,
            kind=spec.kind,
            pnl_line=spec.pnl_line,
            channel_id=spec.channel_id,
            platform=spec.platform,
            is_clearing=spec.is_clearing,
        )
        self.session.add(row)
        self.session.flush()
        self.ids[spec.code] = row.id
        return row.id

    def code_id(self, code: str) -> int:
        """Return the id of a base account by its code."""
        return self.id_of(spec_of(code))


def ensure_chart(session: Session) -> Chart:
    """Create every missing account of the chart (base, per channel, per payout source); idempotent."""
    chart = Chart(
        session,
        {
            code: account_id
            for code, account_id in session.execute(select(m.LedgerAccount.code, m.LedgerAccount.id))
        },
    )
    for spec in BASE_ACCOUNTS:
        chart.id_of(spec)
    for channel in session.scalars(select(m.Channel).order_by(m.Channel.id)):
        chart.id_of(sales_spec(channel.code, channel.name, channel.id))
        provider = PROVIDER_OF_CHANNEL_KIND.get(channel.kind, "other")
        chart.id_of(clearing_spec(provider))
    providers = session.scalars(select(m.Payout.provider).distinct()).all()
    for provider in sorted(providers):
        chart.id_of(clearing_spec(provider))
    chart.id_of(reserve_spec("amazon"))
    for platform in AD_PLATFORMS:
        chart.id_of(advertising_spec(platform))
    return chart


def sales_spec(channel_code: str, channel_name: str, channel_id: int) -> AccountSpec:
    return AccountSpec(
        sales_code(channel_code), f"Sales: {channel_name}", "income", "gross_sales", channel_id=channel_id
    )
