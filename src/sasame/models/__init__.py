"""The one schema of the whole business; every table is imported here so metadata is complete."""

from sasame.models.accounts import User
from sasame.models.bank_mapping import BankCsvMapping
from sasame.models.base import Amount, Base, UTCDateTime
from sasame.models.business import BusinessSetting, Channel, Location
from sasame.models.catalog import BundleComponent, Product, Variant
from sasame.models.customers import Customer
from sasame.models.finance_reports import ExchangeRate, OperatingExpense, PnlDay, ReconciliationException
from sasame.models.fulfilment import Shipment, TrackingEvent
from sasame.models.ground_truth import GroundTruth
from sasame.models.jobs import JobLease
from sasame.models.ledger import CostLayer, JournalEntry, LedgerAccount, Posting
from sasame.models.marketing import (
    Ad,
    AdCampaign,
    AdSet,
    AdSpendDay,
    EmailCampaign,
    EmailPerformanceDay,
    MarketingTouchpoint,
)
from sasame.models.operations import Alert, AuditLog
from sasame.models.orders import Order, OrderLine
from sasame.models.payouts import BankTransaction, Payout, PayoutLine
from sasame.models.planning import InventoryForecast, InventoryPlan, ReorderSuggestion
from sasame.models.returns import Chargeback, Refund, Return, ReturnLine
from sasame.models.source import SourceFile, SourceRecord
from sasame.models.stock import StockLevel, StockMovement
from sasame.models.supply import PurchaseOrder, PurchaseOrderLine, Supplier, SupplierTerm
from sasame.models.support import SupportAction, SupportMessage, SupportPolicySetting, SupportTicket
from sasame.models.sync import SyncState

__all__ = [
    "Ad",
    "AdCampaign",
    "AdSet",
    "AdSpendDay",
    "Alert",
    "Amount",
    "AuditLog",
    "BankCsvMapping",
    "BankTransaction",
    "Base",
    "BundleComponent",
    "BusinessSetting",
    "Channel",
    "Chargeback",
    "CostLayer",
    "Customer",
    "EmailCampaign",
    "EmailPerformanceDay",
    "ExchangeRate",
    "GroundTruth",
    "InventoryForecast",
    "InventoryPlan",
    "JobLease",
    "JournalEntry",
    "LedgerAccount",
    "Location",
    "MarketingTouchpoint",
    "OperatingExpense",
    "Order",
    "OrderLine",
    "Payout",
    "PayoutLine",
    "PnlDay",
    "Posting",
    "Product",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "ReconciliationException",
    "Refund",
    "ReorderSuggestion",
    "Return",
    "ReturnLine",
    "Shipment",
    "SourceFile",
    "SourceRecord",
    "StockLevel",
    "StockMovement",
    "Supplier",
    "SupplierTerm",
    "SupportAction",
    "SupportMessage",
    "SupportPolicySetting",
    "SupportTicket",
    "SyncState",
    "TrackingEvent",
    "UTCDateTime",
    "User",
    "Variant",
]
