"""Amazon's settlement vocabulary (transaction-type, amount-type, amount-description) mapped to
payout line kinds and fee types (formats.md §3.3). Amazon publishes no enumeration: what is not
listed here is kept, as a fee of its own type or as 'other', and reported as a warning."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Classification:
    kind: str
    """A payout line kind (sasame.models.payouts.PAYOUT_LINE_KINDS)."""
    fee_type: str | None
    description: str
    """What the line is, as Amazon names it: 'ItemFees: Commission'."""
    is_known: bool = True


ITEM_PRICE_KINDS = {
    "Principal": "principal",
    "Shipping": "shipping",
    "GiftWrap": "principal",
    "RestockingFee": "principal",
    "Tax": "tax",
    "ShippingTax": "tax",
    "GiftWrapTax": "tax",
    "Goodwill": "refund",
}
"""ItemPrice: what the buyer paid, by component (on refunds, what was given back)."""

ITEM_FEE_TYPES = {
    "Commission": "commission",
    "RefundCommission": "refund_commission",
    "FBAPerUnitFulfillmentFee": "fba_fulfilment",
    "FBAWeightBasedFee": "fba_weight_based",
    "FBAPerOrderFulfillmentFee": "fba_per_order_fulfilment",
    "FBATransportationFee": "fba_transportation",
    "VariableClosingFee": "variable_closing",
    "FixedClosingFee": "fixed_closing",
    "ShippingChargeback": "shipping_chargeback",
    "GiftwrapChargeback": "giftwrap_chargeback",
    "ShippingHB": "shipping_holdback",
    "DigitalServicesFee": "digital_services",
    "SalesTaxServiceFee": "sales_tax_service",
    "Cost of Advertising": "advertising",
    "MiscFee": "miscellaneous",
    "TaxAmount": "tax_on_fees",
}
"""Fees by Amazon's name (ItemFees, Shipment-Fees, order fees, V1's other-fee reasons)."""

FEE_GROUPS = frozenset({"ItemFees", "Shipment-Fees", "Order-Fees", "Other-Fees"})

OTHER_TRANSACTIONS = {
    "Previous Reserve Amount Balance": ("reserve", None),
    "Current Reserve Amount": ("reserve", None),
    "Storage Fee": ("fee", "fba_storage"),
    "StorageRenewalBilling": ("fee", "fba_long_term_storage"),
    "Subscription Fee": ("fee", "subscription"),
    "Cost of Advertising": ("fee", "advertising"),
    "DisposalComplete": ("fee", "fba_disposal"),
    "RemovalComplete": ("fee", "fba_removal"),
    "FBAInboundTransportationFee": ("fee", "fba_inbound_transportation"),
    "Inbound Transportation Fee": ("fee", "fba_inbound_transportation"),
    "Shipping label purchase": ("fee", "shipping_label"),
    "ShippingServices": ("fee", "shipping_label"),
    "Refund Reimbursal": ("adjustment", None),
    "REVERSAL_REIMBURSEMENT": ("adjustment", None),
    "WAREHOUSE_DAMAGE": ("adjustment", None),
    "WAREHOUSE_LOST": ("adjustment", None),
    "Balance Adjustment": ("adjustment", None),
    # Amazon charged the seller's card to cover a negative balance: money in, but not a sale.
    "Successful charge": ("adjustment", None),
}
"""other-transaction descriptions (V1: transaction types with an 'other-amount')."""

REFUND_TRANSACTIONS = frozenset({"Refund", "A-to-z Guarantee Refund"})
CHARGEBACK_TRANSACTIONS = frozenset({"Chargeback Refund"})
WITHHELD_TAX_GROUPS = ("ItemWithheldTax", "MarketplaceFacilitator")


def classify(transaction_type: str, amount_type: str, description: str) -> Classification:
    """The payout line kind and fee type of one settlement amount."""
    label = f"{amount_type}: {description}" if description else amount_type or transaction_type
    reversal = transaction_type in REFUND_TRANSACTIONS or transaction_type in CHARGEBACK_TRANSACTIONS
    given_back = "chargeback" if transaction_type in CHARGEBACK_TRANSACTIONS else "refund"

    if amount_type.startswith(WITHHELD_TAX_GROUPS) or description.startswith("MarketplaceFacilitator"):
        return Classification("tax", None, label)
    if amount_type == "ItemPrice" and description in ITEM_PRICE_KINDS:
        kind = ITEM_PRICE_KINDS[description]
        if reversal and kind in ("principal", "shipping"):
            kind = given_back
        return Classification(kind, None, label)
    if amount_type == "Promotion":
        return Classification(given_back if reversal else "principal", None, label)
    if amount_type in FEE_GROUPS and description in ITEM_FEE_TYPES:
        return Classification("fee", ITEM_FEE_TYPES[description], label)
    for name in (description, amount_type, transaction_type):
        if name in OTHER_TRANSACTIONS:
            kind, fee_type = OTHER_TRANSACTIONS[name]
            return Classification(kind, fee_type, label)
    if amount_type in FEE_GROUPS:
        # An unknown fee stays a fee, under Amazon's own name, so fee totals stay whole.
        return Classification("fee", (description or amount_type)[:60], label, is_known=False)
    return Classification("other", None, label, is_known=False)
