"""The demo store's support history: two years of conversations the owner handled by hand.

The open inbox (``inbox.py``) holds only the mail still waiting for an answer. A store that has
run for two years also has its handled conversations, and this step writes them: closed tickets
spread over the history before the open inbox's window, each with the customer's email (and
sometimes their chaser), the shop's reply, the actions taken and their audit-log rows.

Every email is composed by the inbox's own machinery (``Draft`` → ``_compose``) about a real order
*as it stood when the email was sent*: ``_as_of`` cuts the order's whole known timeline
(shipment, tracking events, returns, refunds, cancellation) at that instant, so a
where-is-my-order email is about a parcel that was on the road that day, a return request about
an order delivered by then. The reply is written from the order as it stood when the owner
answered, with the real facts: tracking number and carrier, the RMA and its label where the
store's data has a return, the refund amount and day.

Choices, and why:

- **``decision = 'draft'`` on every ticket, ``mode = 'draft'`` on every action.** The owner
  answered these by hand, before any automation; nothing here claims to be automated. In the
  policy's vocabulary (off / draft / automatic) that is what 'draft' means: a human approved
  what was sent. 'escalate' would claim an engine routed the ticket to a human, 'auto' that the
  system answered alone, and NULL would make two years of finished tickets look undecided (as the
  open inbox's tickets are) to any query for work still to do. ``intent_confidence`` stays NULL:
  the intent is a human's reading, not a model's estimate.
- **Actions only where the store's data shows them.** ``reply_sent`` for every reply;
  ``rma_created`` only for a ticket whose order has a ``return`` row requested at the reply (the
  reply *is* the RMA's creation, so the RMA's ``requested_at`` fixes the reply's time);
  ``order_cancelled`` only for orders with a ``cancelled_at``. The demo orders carry no address
  history, so address-change (and order-change) requests are written about orders that had
  already shipped when the customer wrote, and the honest reply says so: reply only.
- **No spam in the history.** The owner deletes spam rather than answering it; spam stays in the
  open inbox only, and the history's intent mix is the inbox's mix without it.
- **Stock facts are not stated.** Stock on a past day is not kept per variant, so product and
  exchange questions are labelled without availability (``None``) rather than with today's.
- **Separate ground truth.** Each inbound message is labelled like the open inbox's, under kind
  ``email_label_history``, so the support engine can train and evaluate on history without
  mixing it with the open inbox's labels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from sasame.core.money import SCALE
from sasame.demo import DEMO_OWNER_EMAIL
from sasame.demo.context import DemoContext
from sasame.demo.inbox import (
    ADDRESSES,
    FIRST_NAMES,
    INTENT_MIX,
    LAST_NAMES,
    RETURN_WINDOW_DAYS,
    Draft,
    Planner,
    Store,
    StoreOrder,
    Writer,
    Written,
    _columns,
    _compose,
    _count_orders,
    _first_name,
    _follow_up,
    _item_phrase,
    _label,
    _message_id,
    _order_facts,
    _pools,
    _quote_attribution,
    _quoted,
    _read_orders,
    _read_store_header,
    _sender_of,
    _spam_or_other,
    _stranger_address,
    _uniform_time,
    carrier_name,
    inbox_size,
)
from sasame.ingest.bulk import next_id, reset_sequences, write_rows
from sasame.models import AuditLog, SupportAction, SupportMessage, SupportTicket

OWNER_ADDRESS = DEMO_OWNER_EMAIL
"""The owner who handled the history: the demo login the CLI creates, so audit rows name a user."""
OWNER_NAME = "Mika"
HISTORY_GAP_DAYS = 28
"""Every history conversation is closed this long before the open inbox's cut-off: the open
inbox's mail reaches back 21 days, so the two never overlap in time."""
SETTLE_DAYS = 10
"""Customer mail of the history is sent at least this long before the history ends, leaving room
for the (working-hours, weekend, Q4) reply delay, a chaser and the closing."""
SAMPLED_ORDERS = 12_000
"""Orders read at most (an id-stride sample over the history): the history is capped at 2,000
tickets like the inbox, so a 100x store needs no more candidates than a typical one."""
HISTORY_MIX = {intent: share for intent, share in INTENT_MIX.items() if intent != "spam"}
FAULT_REASONS = {"damaged", "defective", "wrong_item", "not_as_described"}
SIZE_REASONS = {"too_small", "too_large"}
NEEDS_LATER = timedelta(minutes=10)


@dataclass
class Handled:
    """One conversation of the history: the customer's draft and what the data says was done."""

    draft: Draft
    order: StoreOrder | None
    """The order with its whole known timeline (``draft.order`` is it as of the email)."""
    rma: dict[str, Any] | None = None
    """The return this ticket created (its reply is the RMA's creation)."""
    is_cancellation: bool = False
    reply_at: datetime | None = None
    """Fixed by the data (the RMA's request, the cancellation); otherwise drawn."""


# --------------------------------------------------------------------------------------------
# An order as it stood on a given instant
# --------------------------------------------------------------------------------------------


def _as_of(order: StoreOrder, at: datetime) -> StoreOrder:
    """Return the order as the store saw it at ``at``: later shipping, returns and refunds cut off."""
    shipped = order.shipped_at is not None and order.shipped_at <= at
    events = [event for event in order.events if event[0] <= at] if shipped else []
    delivered = order.delivered_at if shipped and order.delivered_at and order.delivered_at <= at else None
    refunds = [r for r in order.refunds if r["refunded_at"] <= at]
    returns = []
    for r in order.returns:
        if r["requested_at"] > at:
            continue
        received = r["received_at"] if r["received_at"] is not None and r["received_at"] <= at else None
        refunded = any(f.get("return_id") == r["id"] for f in refunds)
        status = (
            "refunded"
            if refunded
            else "rejected"
            if received and r["status"] == "rejected"
            else "received"
            if received
            else "in_transit"
        )
        returns.append(r | {"received_at": received, "status": status})
    refunded_units = sum(r["amount_units"] for r in refunds)
    if refunded_units:
        financial = "refunded" if refunded_units >= order.total_units else "partially_refunded"
    elif order.financial_status in ("refunded", "partially_refunded"):
        financial = "paid"  # the refund that changed it came later
    else:
        financial = order.financial_status
    cancelled = order.cancelled_at if order.cancelled_at is not None and order.cancelled_at <= at else None
    last = events[-1] if events else None
    tracking_status = None if not shipped else "delivered" if delivered else last[1] if last else "in_transit"
    if tracking_status == "delivered" and delivered is None:
        tracking_status = "in_transit"
    return replace(
        order,
        fulfillment_status="cancelled" if cancelled else "fulfilled" if shipped else "unfulfilled",
        financial_status=financial,
        cancelled_at=cancelled,
        carrier=order.carrier if shipped else None,
        tracking_number=order.tracking_number if shipped else None,
        shipped_at=order.shipped_at if shipped else None,
        estimated_delivery_at=order.estimated_delivery_at if shipped else None,
        delivered_at=delivered,
        tracking_status=tracking_status,
        last_event=last[2] if last else None,
        last_event_at=last[0] if last else None,
        returns=returns,
        refunds=refunds,
        events=events,
    )


# --------------------------------------------------------------------------------------------
# Choosing the conversations
# --------------------------------------------------------------------------------------------

Window = tuple[datetime, datetime]


class HistoryPlanner(Planner):
    """Picks, for each historical email, an order and an instant at which its state fits the intent.

    Each pool maps an order to the window in which an email of that kind could have been sent
    (a parcel on the road, a delivered order within the return window, ...). Orders are drawn
    from an id-stride sample of all orders, so the history follows the orders' seasonality.
    """

    def __init__(self, store: Store, ctx: DemoContext, last_sent: datetime, writer: Writer) -> None:
        super().__init__(store, _pools([], ctx.now), ctx, last_sent, writer)
        self.last_sent = last_sent
        self.windows: dict[str, dict[int, Window]] = {}
        self.lists: dict[str, list[StoreOrder]] = {}
        self.anchors = [o for o in store.orders if o.ordered_at < last_sent]
        for o in store.orders:
            for pool, window in self._windows_of(o).items():
                low, high = window
                if high - low >= NEEDS_LATER:
                    self.windows.setdefault(pool, {})[o.id] = window
                    self.lists.setdefault(pool, []).append(o)

    def _windows_of(self, o: StoreOrder) -> dict[str, Window]:
        """Return, per pool, when an email about this order could have been sent."""
        day, last = timedelta(days=1), self.last_sent
        found: dict[str, Window] = {}
        if o.cancelled_at is not None:
            found["cancelled"] = (o.ordered_at + NEEDS_LATER, min(o.cancelled_at - NEEDS_LATER, last))
            return found  # a cancelled order is written about only as a cancellation
        if o.shipped_at is not None:
            arrived = o.delivered_at or o.shipped_at + 12 * day
            found["in_transit"] = (
                max(o.shipped_at + timedelta(hours=18), o.ordered_at + 2 * day),
                min(arrived, last) - timedelta(hours=1),
            )
            estimated = o.estimated_delivery_at
            if estimated is not None and (o.delivered_at is None or o.delivered_at > estimated + day / 2):
                found["late"] = (
                    max(found["in_transit"][0], estimated + timedelta(hours=2)),
                    found["in_transit"][1],
                )
            found["unshipped"] = (o.ordered_at + 3 * day, min(o.shipped_at - timedelta(hours=1), last))
            if o.shipped_at - o.ordered_at < 6 * day:
                found["just_shipped"] = (o.shipped_at + NEEDS_LATER, min(o.shipped_at + 30 * day / 24, last))
        found["any"] = (o.ordered_at + timedelta(minutes=30), min(o.ordered_at + 2 * day, last))
        if o.delivered_at is not None and not o.returns and not o.refunds:
            found["delivered"] = (o.delivered_at + timedelta(hours=3), min(o.delivered_at + 40 * day, last))
        if o.returns and o.delivered_at is not None:
            first = o.returns[0]
            requested = first["requested_at"]
            if requested <= last:
                window = (o.delivered_at + timedelta(hours=1), requested - NEEDS_LATER)
                found["returned"] = window
                if first["reason"] in FAULT_REASONS:
                    found["returned_fault"] = window
                if first["reason"] in SIZE_REASONS:
                    found["returned_size"] = window
            found["refund"] = (requested + 2 * day, min(requested + 25 * day, last))
        return found

    def pick(self, *pools: str) -> tuple[StoreOrder, Window] | None:
        """Take an unused order from the first pool that has one, with its window in that pool."""
        for pool in pools:
            order = self.take(self.lists.get(pool, []))
            if order is not None:
                return order, self.windows[pool][order.id]
        return None

    def handle(self, intent: str) -> Handled | None:
        """Plan one conversation of this intent, or None when no order fits it any more."""
        w = self.writer
        picked: tuple[StoreOrder, Window] | None = None
        if intent == "order_status":
            if w.chance(0.35):
                picked = self.pick("late", "in_transit", "unshipped")
            elif w.chance(0.85):
                picked = self.pick("in_transit", "unshipped", "late")
            else:
                picked = self.pick("unshipped", "in_transit")
        elif intent == "return_request":
            picked = (
                self.pick("returned", "delivered") if w.chance(0.8) else self.pick("delivered", "returned")
            )
        elif intent == "exchange_request":
            picked = (
                self.pick("returned_size", "returned", "delivered")
                if w.chance(0.6)
                else self.pick("delivered", "returned_size")
            )
        elif intent in ("wrong_item", "damaged_item"):
            picked = (
                self.pick("returned_fault", "delivered")
                if w.chance(0.65)
                else self.pick("delivered", "returned_fault")
            )
        elif intent == "praise":
            picked = self.pick("delivered")
        elif intent == "cancel_order":
            picked = self.pick("cancelled", "just_shipped")
        elif intent in ("change_order", "change_address"):
            picked = self.pick("just_shipped")
        elif intent == "refund_status":
            picked = self.pick("refund")
        elif intent == "complaint":
            picked = self.pick("late", "in_transit", "delivered") if w.chance(0.75) else None
        elif intent in ("payment_issue", "discount_question"):
            picked = self.pick("any") if w.chance(0.55) else None
        if picked is None and intent in (
            "order_status",
            "return_request",
            "exchange_request",
            "wrong_item",
            "damaged_item",
            "praise",
            "cancel_order",
            "change_order",
            "change_address",
            "refund_status",
        ):
            return None
        if picked is None:
            return self._without_order(intent)
        return self._about(intent, *picked)

    def _about(self, intent: str, full: StoreOrder, window: Window) -> Handled:
        w = self.writer
        low, high = window
        rma = full.returns[0] if full.returns and intent in _RMA_INTENTS else None
        if rma is not None and rma["requested_at"] - NEEDS_LATER > low:
            # The reply is the RMA's creation: the customer wrote some hours before it.
            earliest = max(low, rma["requested_at"] - 2 * timedelta(days=1))
            sent_at = _uniform_time(earliest, rma["requested_at"] - timedelta(minutes=20), w)
            reply_at: datetime | None = rma["requested_at"]
        elif rma is not None:
            sent_at, reply_at, rma = low, None, None
        elif full.cancelled_at is not None and intent == "cancel_order":
            sent_at = _uniform_time(max(low, full.cancelled_at - timedelta(days=1)), high, w)
            reply_at = full.cancelled_at
        else:
            sent_at, reply_at = _uniform_time(low, high, w), None
        order = _as_of(full, sent_at)
        facts = _order_facts(order, sent_at)
        slots: dict[str, str] = {}
        item = order.items[0]
        if intent in ("return_request", "exchange_request", "wrong_item", "damaged_item", "praise"):
            item = self._pick_item(order, need_size=intent in ("exchange_request", "wrong_item"))
            assert order.delivered_at is not None
            days = (sent_at - order.delivered_at).days
            facts |= {
                "item_sku": item.sku,
                "item_title": item.title,
                "days_since_delivery": days,
                "return_window_days": RETURN_WINDOW_DAYS,
                "return_eligible": days <= RETURN_WINDOW_DAYS,
            }
            if intent == "exchange_request":
                facts |= _without_stock(self._alternative(item, slots))
            if intent == "wrong_item":
                self._alternative(item, slots)
                facts |= {"ordered_sku": item.sku, "ordered_size": item.size, "ordered_colour": item.colour}
        elif intent in ("cancel_order", "change_address", "change_order"):
            facts |= {"can_modify": not order.is_shipped}
            item = self._pick_item(order, need_size=intent == "change_order")
            if intent == "change_address":
                slots["address"] = facts["new_address"] = str(w.pick(ADDRESSES))
            if intent == "change_order":
                facts |= {"item_sku": item.sku} | _without_stock(self._alternative(item, slots))
        elif intent == "refund_status":
            facts |= _refund_facts(order)
        elif intent in ("payment_issue", "discount_question"):
            facts = {
                "order_number": order.number,
                "financial_status": order.financial_status,
                "discount_codes": order.discount_codes,
            }
            code = (order.discount_codes or "").split(",")[0].strip()
            slots["code"] = code or str(w.pick(("WELCOME10", "SPRING15", "FREESHIP")))
            if intent == "discount_question":
                facts["code_mentioned"] = slots["code"]
        sender, name = _sender_of(order, w)
        draft = Draft(
            intent, order, sender, name, order.customer_id, sent_at, facts, slots, product_item=item
        )
        return Handled(
            draft, full, rma, is_cancellation=reply_at is not None and rma is None, reply_at=reply_at
        )

    def _without_order(self, intent: str) -> Handled | None:
        """Plan an email about no order, sent when some order of the sample was placed (seasonality)."""
        w = self.writer
        if not self.anchors:
            return None
        anchor = self.anchors[int(w.rng.integers(0, len(self.anchors)))]
        sent_at = min(anchor.ordered_at + timedelta(hours=float(w.rng.uniform(0, 72))), self.last_sent)
        name: str | None
        if intent == "other" or w.chance(0.35):
            name = f"{w.pick(FIRST_NAMES)} {w.pick(LAST_NAMES)}"
            sender, customer_id = _stranger_address(name, w), None
        else:
            sender, name = _sender_of(anchor, w)
            customer_id = anchor.customer_id
        slots: dict[str, str] = {}
        if intent in ("payment_issue", "discount_question"):
            slots["code"] = str(w.pick(("WELCOME10", "SPRING15", "FREESHIP", "BFCM30")))
        facts: dict[str, Any] = {"code_mentioned": slots["code"]} if intent == "discount_question" else {}
        draft = Draft(intent, None, sender, name, customer_id, sent_at, facts, slots)
        if intent == "product_question":
            self._product_question(draft)
            draft.facts = _without_stock(draft.facts)
        return Handled(draft, None)


_RMA_INTENTS = {"return_request", "exchange_request", "wrong_item", "damaged_item"}
_STOCK_FACTS = (
    "wanted_in_stock",
    "wanted_on_hand",
    "wanted_next_arrival_on",
    "in_stock",
    "on_hand",
    "next_arrival_on",
)


def _without_stock(facts: dict[str, Any]) -> dict[str, Any]:
    """Blank the stock facts: stock on a past day is not known, and today's would be wrong."""
    return {key: (None if key in _STOCK_FACTS else value) for key, value in facts.items()}


def _money(units: int, currency: str) -> str:
    amount = (Decimal(units) / SCALE).quantize(Decimal("0.01"))
    return f"${amount:,}" if currency == "USD" else f"{amount:,} {currency}"


def _refund_facts(order: StoreOrder) -> dict[str, Any]:
    refunded = sum(r["amount_units"] for r in order.refunds)
    last_refund = max((r["refunded_at"] for r in order.refunds), default=None)
    first = order.returns[0] if order.returns else {}
    return {
        "rma_number": first.get("rma_number"),
        "return_status": first.get("status"),
        "return_received": first.get("received_at") is not None,
        "is_refunded": bool(order.refunds),
        "refund_amount": str((Decimal(refunded) / SCALE).quantize(Decimal("0.01"))) if refunded else None,
        "refunded_on": last_refund.date().isoformat() if last_refund else None,
    }


# --------------------------------------------------------------------------------------------
# When the owner answered
# --------------------------------------------------------------------------------------------

BUSY_MONTHS = {10: 1.3, 11: 2.2, 12: 2.0}
"""How much slower replies are in Q4 (the peak fills the owner's days with packing)."""


def _reply_time(sent_at: datetime, ctx: DemoContext, w: Writer) -> datetime:
    """Return when the owner answered: hours later, in working hours, mostly not at weekends."""
    tz = ctx.timezone
    busy = BUSY_MONTHS.get(sent_at.astimezone(tz).month, 1.0)
    hours = min(float(w.rng.lognormal(np.log(3.5), 0.8)) * busy, 96.0)
    works_this_weekend = w.chance(0.2)
    reply = (sent_at + timedelta(hours=max(hours, 0.3))).astimezone(tz)

    def morning(day: date) -> datetime:
        start = datetime.combine(day, time(8), tzinfo=tz)
        return start + timedelta(minutes=float(w.rng.uniform(0, 150)))

    for _ in range(4):
        if reply.hour < 8:
            reply = morning(reply.date())
        elif reply.hour >= 21:
            reply = morning(reply.date() + timedelta(days=1))
        if reply.weekday() >= 5 and not works_this_weekend:
            reply = morning(reply.date() + timedelta(days=7 - reply.weekday()))
            continue
        break
    return reply.astimezone(UTC)


# --------------------------------------------------------------------------------------------
# The shop's reply
# --------------------------------------------------------------------------------------------

REPLY_GREETINGS = [
    "Hi {first},",
    "Hello {first},",
    "Hi {first}!",
    "Dear {first},",
    "Hi {first}, thanks for writing.",
]
REPLY_SIGNOFFS = ["Best,", "Kind regards,", "Thanks,", "All the best,", "Warmly,", "Cheers,"]
SORRY = ["Sorry for the trouble.", "I'm sorry about this.", "Apologies for the hassle.", ""]


def _reply_text(
    h: Handled, store: Store, ctx: DemoContext, reply_at: datetime, w: Writer
) -> tuple[str, dict[str, Any]]:
    """Return the owner's reply and the facts it states, from the order as it stood when answering."""
    draft = h.draft
    order = _as_of(h.order, reply_at) if h.order is not None else None
    reply = Reply(draft, order, h, store, ctx, reply_at, w)
    lines = reply.body()
    first = _first_name(draft.sender_name) or "there"
    greeting = str(w.pick(REPLY_GREETINGS)).format(first=first)
    signoff = str(w.pick(REPLY_SIGNOFFS))
    text = f"{greeting}\n\n" + "\n\n".join(lines) + f"\n\n{signoff}\n{OWNER_NAME}\n{store.name}"
    return text, reply.facts


class Reply:
    """Writes the owner's answer to one conversation; ``facts`` collects every fact it states."""

    def __init__(
        self,
        draft: Draft,
        order: StoreOrder | None,
        handled: Handled,
        store: Store,
        ctx: DemoContext,
        at: datetime,
        writer: Writer,
    ) -> None:
        self.draft, self.order, self.handled = draft, order, handled
        self.store, self.ctx, self.at, self.w = store, ctx, at, writer
        self.facts: dict[str, Any] = {"order_number": order.number} if order else {}
        item = draft.product_item
        self.item = _item_phrase(item, writer) if item else "the item"

    def day(self, at: datetime) -> str:
        local = at.astimezone(self.ctx.timezone)
        return f"{local.strftime('%A, %B')} {local.day}"

    def money(self, units: int) -> str:
        return _money(units, self.ctx.currency)

    def body(self) -> list[str]:
        intent, order = self.draft.intent, self.order
        if order is not None:
            if intent == "order_status":
                return self.order_status(order)
            if intent == "complaint":
                return self.complaint(order)
            if intent in _RMA_INTENTS and self.handled.rma is not None:
                return self.return_opened(order, self.handled.rma)
            if intent in ("return_request", "exchange_request") and order.delivered_at is not None:
                return self.return_policy(order, order.delivered_at)
            if intent in ("wrong_item", "damaged_item"):
                return [
                    f"I'm so sorry about the {self.item} from order {order.number}. Could you send me a "
                    "photo of it (and of the packing slip)? Then I'll sort out a replacement or a refund "
                    "straight away."
                ]
            if intent in ("cancel_order", "change_order", "change_address"):
                return self.too_late_or_cancelled(order)
            if intent == "refund_status":
                return self.refund_status(order)
            if intent == "payment_issue":
                return self.payment(order)
            if intent == "discount_question":
                return self.discount(order)
        return self.without_order(intent)

    def tracking(self, order: StoreOrder) -> str:
        assert order.shipped_at is not None
        carrier = carrier_name(order.carrier)
        self.facts |= {"carrier": order.carrier, "tracking_number": order.tracking_number}
        shipped = self.day(order.shipped_at)
        return f"It shipped on {shipped} with {carrier}, tracking number {order.tracking_number}."

    def where(self, order: StoreOrder) -> list[str]:
        """Say where the parcel is, from the shipment and its latest scan at the time of the reply."""
        carrier = carrier_name(order.carrier)
        if order.delivered_at is not None:
            self.facts["delivered_on"] = order.delivered_at.date().isoformat()
            return [
                f"I checked order {order.number}. {self.tracking(order)}",
                f"The tracking shows it was delivered on {self.day(order.delivered_at)}. If you can't find "
                "it, please check with neighbours or your building - and if it doesn't turn up, reply "
                f"here and I'll open a claim with {carrier}.",
            ]
        if order.shipped_at is not None:
            lines = [f"Your order {order.number} is on its way. {self.tracking(order)}"]
            if order.last_event:
                self.facts["last_tracking_event"] = order.last_event
                lines.append(f'The latest scan says: "{order.last_event}".')
            estimated = order.estimated_delivery_at
            if estimated is not None:
                self.facts["estimated_delivery_on"] = estimated.date().isoformat()
                self.facts["is_late"] = estimated < self.at
                lines.append(
                    f"{carrier} expected to deliver it by {self.day(estimated)}; it's running behind, so "
                    "I'm keeping an eye on it and will chase them if it hasn't moved in two days."
                    if estimated < self.at
                    else f"{carrier} expects to deliver it by {self.day(estimated)}."
                )
            return lines
        self.facts["is_shipped"] = False
        return [
            f"Your order {order.number} hasn't left us yet - sorry for the wait. You'll get an email "
            "with the tracking number as soon as it ships."
        ]

    def order_status(self, order: StoreOrder) -> list[str]:
        return self.where(order)

    def complaint(self, order: StoreOrder) -> list[str]:
        sorry = str(
            self.w.pick(
                [
                    "I'm really sorry to hear this.",
                    "I'm so sorry - that's not the experience we want you to have.",
                    "Thank you for telling us, and I'm sorry.",
                ]
            )
        )
        # A complaint written before delivery is about the wait; after it, about the goods.
        assert self.draft.order is not None
        if self.draft.order.delivered_at is None:
            return [sorry, *self.where(order)]
        assert order.delivered_at is not None
        until = order.delivered_at + timedelta(days=RETURN_WINDOW_DAYS)
        self.facts |= {
            "delivered_on": order.delivered_at.date().isoformat(),
            "return_open_until": until.date().isoformat(),
        }
        return [
            sorry,
            f"If the {self.item} isn't right for you, you can send it back until {self.day(until)} and "
            "I'll refund you - just reply and I'll set up the return. I've also passed your feedback "
            "on to our maker.",
        ]

    def return_opened(self, order: StoreOrder, rma: dict[str, Any]) -> list[str]:
        intent, other = self.draft.intent, self.draft.slots.get("other")
        self.facts |= {"rma_number": rma["rma_number"], "return_id": rma["id"]}
        opening = {
            "return_request": f"No problem - I've set up a return for the {self.item}.",
            "exchange_request": f"Happy to help with the exchange - I've set up a return for the {self.item}"
            + (f" so we can send you the {other} instead." if other else "."),
            "wrong_item": f"Sorry you got the wrong item instead of the {self.item}; I've set up a return.",
            "damaged_item": f"I'm so sorry the {self.item} arrived damaged. I've set up a return to fix it.",
        }[intent]
        lines = [opening, f"Your return number is {rma['rma_number']} - please put it inside the parcel."]
        tracking = rma["return_tracking_number"]
        if rma["label_cost_units"] and tracking:
            self.facts |= {"prepaid_label": True, "return_tracking_number": tracking}
            lines.append(
                f"I've attached a prepaid return label (tracking {tracking}); just drop the parcel at any "
                "post office."
            )
        else:
            self.facts["prepaid_label"] = False
            lines.append(
                "Please send it back within 14 days to our Columbus, OH warehouse (the address is on "
                "your packing slip), with a tracked service."
            )
        lines.append(
            "As soon as it's scanned we'll ship the replacement."
            if intent == "exchange_request"
            else "As soon as it's back and checked we'll refund you to your original payment method."
        )
        return lines

    def return_policy(self, order: StoreOrder, delivered_at: datetime) -> list[str]:
        until = delivered_at + timedelta(days=RETURN_WINDOW_DAYS)
        eligible = self.at <= until
        self.facts |= {
            "delivered_on": delivered_at.date().isoformat(),
            "return_open_until": until.date().isoformat(),
            "return_eligible": eligible,
        }
        if eligible:
            return [
                f"Of course. Your order {order.number} was delivered on {self.day(delivered_at)}, so you "
                f"can return it until {self.day(until)}.",
                "Just reply with the item(s) you're sending back and I'll set up the return and the label.",
            ]
        return [
            f"I'm sorry, but our return window is {RETURN_WINDOW_DAYS} days from delivery, and order "
            f"{order.number} was delivered on {self.day(delivered_at)}, so I can't accept a return.",
            "If something is faulty, though, reply with a photo and I'll see what I can do.",
        ]

    def too_late_or_cancelled(self, order: StoreOrder) -> list[str]:
        intent = self.draft.intent
        if self.handled.is_cancellation and order.cancelled_at is not None:
            total = self.money(order.total_units)
            self.facts |= {"cancelled": True, "order_total": total}
            return [
                f"Done - I've cancelled order {order.number}. The payment of {total} goes back to your "
                "original payment method; banks take a few days to show it."
            ]
        if order.shipped_at is None:
            return [f"Order {order.number} was already being packed, so I can't change it any more, sorry."]
        what = {
            "cancel_order": "cancel it",
            "change_order": "change it",
            "change_address": "change the address",
        }
        lines = [
            f"I'm sorry, order {order.number} had already left our warehouse, so I can't {what[intent]} "
            "any more.",
            self.tracking(order),
        ]
        if intent == "change_address":
            lines.append(
                f"{carrier_name(order.carrier)} can usually redirect a parcel if you contact them with "
                "the tracking number."
            )
        else:
            lines.append(
                f"Once it arrives you can send it back within {RETURN_WINDOW_DAYS} days - just reply here "
                "and I'll set up the return."
            )
        return lines

    def refund_status(self, order: StoreOrder) -> list[str]:
        self.facts |= {key: value for key, value in _refund_facts(order).items() if value is not None}
        if order.refunds:
            last = max(order.refunds, key=lambda r: r["refunded_at"])
            total = self.money(sum(r["amount_units"] for r in order.refunds))
            return [
                f"Your refund of {total} for order {order.number} was issued on "
                f"{self.day(last['refunded_at'])} to your original payment method.",
                "Banks usually take 3-5 business days to show it on your statement.",
            ]
        if not order.returns:
            return [f"I can't see a return for order {order.number} yet - could you send me its RMA number?"]
        first = order.returns[0]
        if first["received_at"] is not None:
            return [
                f"We received your return {first['rma_number']} on {self.day(first['received_at'])}; it's "
                "being checked now and the refund will follow within a few days."
            ]
        tracking = first["return_tracking_number"]
        if tracking:
            self.facts["return_tracking_number"] = tracking
        return [
            f"Your return {first['rma_number']} hasn't reached us yet"
            + (f" (return tracking {tracking})" if tracking else "")
            + ". As soon as it does, we'll check it and refund you - I'll keep an eye out for it."
        ]

    def payment(self, order: StoreOrder) -> list[str]:
        total = self.money(order.total_units)
        self.facts |= {"order_total": total, "financial_status": order.financial_status}
        return [
            f"I checked order {order.number}: there is one charge of {total}, and it shows as "
            f"{order.financial_status.replace('_', ' ')}.",
            "A second line on your statement is usually a pre-authorisation that drops off in a few days.",
        ]

    def discount(self, order: StoreOrder) -> list[str]:
        codes = order.discount_codes
        self.facts["discount_codes"] = codes
        if codes:
            return [
                f"Order {order.number} has the code {codes} applied, so the discount is already in the total."
            ]
        return [
            f"I checked order {order.number} and no code was applied. Codes can't be added after payment, "
            "but I'm happy to look into it - which code was it?"
        ]

    def without_order(self, intent: str) -> list[str]:
        w = self.w
        if intent == "product_question":
            return self.product()
        if intent == "payment_issue":
            return [
                "Sorry about the trouble at checkout. Card declines usually come from the bank's fraud "
                "check - could you try again, or use PayPal or Apple Pay? If it still fails, reply and "
                "I'll send you a payment link."
            ]
        if intent == "discount_question":
            return [
                "Codes can't be combined, and each has an end date in the email it came in. If you send "
                "me the code and what's in your cart, I'll check it for you."
            ]
        if intent == "shipping_question":
            country = self.draft.facts.get("country")
            lines = []
            if country:
                self.facts["ships_to"] = "US"
                lines.append(f"At the moment we only ship within the US, so not to {country} yet, sorry.")
            lines.append(
                "Standard US shipping takes 3-7 business days, with a tracking number as soon as it ships."
            )
            return lines
        if intent == "account":
            return [
                str(
                    w.pick(
                        [
                            "Thanks for letting me know - I've taken care of it on our side; it can take a "
                            "day or two to show.",
                            "Done on our side. If anything still looks wrong, just reply to this email.",
                        ]
                    )
                )
            ]
        if intent == "praise":
            return [
                str(
                    w.pick(
                        [
                            f"Thank you so much - this made my day! I'm so glad you like the {self.item}.",
                            "What a lovely message, thank you! I've shared it with the whole team.",
                            f"Thank you for taking the time to write - enjoy the {self.item}!",
                        ]
                    )
                )
            ]
        if intent == "complaint":
            return [
                "I'm really sorry to hear this, and thank you for telling us. I've passed it on, and if "
                "there's anything I can put right, just reply here."
            ]
        return [
            str(
                w.pick(
                    [
                        "Thanks for getting in touch. I've passed this on and we'll come back to you if it's "
                        "a fit.",
                        "Thank you for reaching out - we're not taking this on at the moment, but I "
                        "appreciate you asking.",
                    ]
                )
            )
        ]

    def product(self) -> list[str]:
        """Answer from the catalog: which sizes and colours the product comes in."""
        item = self.draft.product_item
        product = self.draft.facts.get("product") or (item.product if item else "product")
        siblings = self.store.catalog.by_product.get(item.product_id or -1, []) if item else []
        sizes = list(dict.fromkeys(v.size for v in siblings if v.size))
        colours = sorted({v.colour for v in siblings if v.colour})
        self.facts |= {"product": product, "sizes": sizes, "colours": colours}
        offered = []
        if sizes:
            offered.append("sizes " + ", ".join(sizes))
        if colours:
            offered.append(
                ("colours " if len(colours) > 1 else "colour ") + ", ".join(c.lower() for c in colours)
            )
        lines = [
            f"Thanks for asking! The {product} comes in {' and '.join(offered)}."
            if offered
            else f"Thanks for asking about the {product}!"
        ]
        topic = self.draft.facts.get("topic")
        if topic == "sizing" and sizes:
            lines.append("Most customers take their usual size; if you're between sizes, I'd go up one.")
        elif topic == "material_or_care":
            lines.append("The materials and care instructions are under Details on the product page.")
        else:
            lines.append("If one is sold out, the back-in-stock email on the product page tells you first.")
        return lines


# --------------------------------------------------------------------------------------------
# The step
# --------------------------------------------------------------------------------------------


def generate_support_history(ctx: DemoContext) -> None:
    """Write the closed conversations before the open inbox, their replies, actions and audit rows."""
    rng = ctx.rng("support_history")
    writer = Writer(rng)
    connection = ctx.connection
    end_start = datetime.combine(ctx.end, time(0), tzinfo=ctx.timezone).astimezone(UTC)
    cutoff = min(ctx.now, end_start + timedelta(days=1))
    history_end = cutoff - timedelta(days=HISTORY_GAP_DAYS)
    last_sent = history_end - timedelta(days=SETTLE_DAYS)
    since = datetime.combine(ctx.start, time(0), tzinfo=ctx.timezone).astimezone(UTC)
    if last_sent - since < timedelta(days=14):
        return  # a store this young has no history before its open inbox
    count = _count_orders(connection, since, last_sent)
    total = inbox_size(count / ((last_sent - since).days / 7))
    stride = max(1, count // SAMPLED_ORDERS)
    # Orders the open inbox writes about stay out: a handled ticket about an order must not
    # contradict (or pre-empt) the open email about it.
    in_inbox = {
        value["order_id"] for kind, _, value in ctx.truth if kind == "email_label" and value["order_id"]
    }
    orders = [
        o
        for o in _read_orders(connection, since, ctx.now, last_sent, stride, until=last_sent)
        if o.items and o.id not in in_inbox
    ]
    store = _read_store_header(ctx, orders)
    planner = HistoryPlanner(store, ctx, last_sent, writer)

    intents = list(HISTORY_MIX)
    weights = np.array([HISTORY_MIX[i] for i in intents])
    weights = weights / weights.sum()
    plans: list[Handled] = []
    attempts = 0
    while len(plans) < total and attempts < total * 4:
        attempts += 1
        handled = planner.handle(intents[int(rng.choice(len(intents), p=weights))])
        if handled is None:
            continue
        draft = handled.draft
        if draft.intent in ("order_status", "return_request", "praise") and writer.chance(0.12):
            draft.secondary = str(
                writer.pick(
                    {
                        "order_status": ["discount_question", "product_question", "account"],
                        "return_request": ["product_question", "shipping_question"],
                        "praise": ["product_question"],
                    }[draft.intent]
                )
            )
        plans.append(handled)
    plans.sort(key=lambda h: (h.draft.sent_at, h.draft.sender))

    tickets: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    actions: list[dict[str, Any]] = []
    audits: list[dict[str, Any]] = []
    ticket_id = next_id(connection, SupportTicket)
    counts: dict[str, int] = {}
    for handled in plans:
        draft = handled.draft
        written = (
            _spam_or_other(draft, store, writer)
            if draft.intent == "other"
            else _compose(draft, store, ctx, writer)
        )
        message_id = _message_id(draft.sender, draft.sent_at, writer)
        reply_at = handled.reply_at or _reply_time(draft.sent_at, ctx, writer)
        thread: list[tuple[str, str | None, str, str, datetime, Written]] = [
            (message_id, written.in_reply_to, written.subject, written.body, draft.sent_at, written)
        ]
        waited = reply_at - draft.sent_at
        if draft.intent not in ("other", "praise") and waited > timedelta(hours=30) and writer.chance(0.3):
            later = draft.sent_at + waited * float(writer.rng.uniform(0.4, 0.85))
            new_text, body = _follow_up(written, draft, writer, ctx)
            subject = (
                written.subject if written.subject.lower().startswith("re:") else f"Re: {written.subject}"
            )
            chaser = Written(subject, body, new_text, body[len(new_text) :], message_id, written.style)
            thread.append(
                (_message_id(draft.sender, later, writer), message_id, subject, body, later, chaser)
            )
        for position, (mid, reply_to, subject, body, at, part) in enumerate(thread):
            messages.append(_inbound(ticket_id, mid, reply_to, draft.sender, store, subject, body, at))
            label = _label(draft, part, subject, body, mid, message_id, position > 0, store)
            ctx.truth.append(("email_label_history", mid, label))

        last_mid, _, last_subject, _, last_at, last_part = thread[-1]
        reply_text, reply_facts = _reply_text(handled, store, ctx, reply_at, writer)
        attribution = _quote_attribution(
            draft.sender_name or draft.sender, draft.sender, last_at, writer, ctx.timezone
        )
        reply_subject = (
            last_subject if last_subject.lower().startswith("re:") else f"Re: {last_subject}".rstrip()
        )
        reply_id = f"<{int(reply_at.timestamp())}.{ticket_id}.{rng.integers(16**7, 16**8):x}@{store.domain}>"
        messages.append(
            {
                "ticket_id": ticket_id,
                "message_id": reply_id,
                "in_reply_to": last_mid,
                "direction": "outbound",
                "from_address": store.support_address,
                "to_address": draft.sender,
                "subject": reply_subject[:500],
                "body": f"{reply_text}\n\n{attribution}\n{_quoted(last_part.new_text)}",
                "sent_at": reply_at,
            }
        )
        closed_at = reply_at + timedelta(hours=float(writer.rng.uniform(0.2, 36)))
        order = handled.order
        tickets.append(
            {
                "id": ticket_id,
                "thread_key": message_id,
                "customer_id": draft.customer_id,
                "order_id": order.id if order else None,
                "subject": written.subject[:500],
                "status": "closed",
                "intent": draft.intent,
                "intent_confidence": None,
                "decision": "draft",
                "opened_at": draft.sent_at,
                "first_response_at": reply_at,
                "closed_at": min(closed_at, history_end - timedelta(minutes=1)),
            }
        )
        done: list[tuple[str, datetime, dict[str, Any], str, bool]] = [
            (
                "reply_sent",
                reply_at,
                {
                    "message_id": reply_id,
                    "in_reply_to": last_mid,
                    "to": draft.sender,
                    "intent": draft.intent,
                    "facts": reply_facts,
                },
                f"Replied to {draft.sender} about {draft.intent.replace('_', ' ')}"
                + (f" (order {order.number})." if order else "."),
                False,
            )
        ]
        if handled.rma is not None and order is not None:
            rma = handled.rma
            done.append(
                (
                    "rma_created",
                    rma["requested_at"],
                    {
                        "return_id": rma["id"],
                        "rma_number": rma["rma_number"],
                        "order_id": order.id,
                        "order_number": order.number,
                        "reason": rma["reason"],
                        "return_tracking_number": rma["return_tracking_number"],
                        "prepaid_label": bool(rma["label_cost_units"]),
                    },
                    f"Opened return {rma['rma_number']} for order {order.number}.",
                    True,
                )
            )
        if handled.is_cancellation and order is not None and order.cancelled_at is not None:
            done.append(
                (
                    "order_cancelled",
                    order.cancelled_at,
                    {
                        "order_id": order.id,
                        "order_number": order.number,
                        "total": _money(order.total_units, ctx.currency),
                    },
                    f"Cancelled order {order.number} before it shipped.",
                    False,
                )
            )
        for kind, at, payload, outcome, reversible in done:
            actions.append(
                {
                    "ticket_id": ticket_id,
                    "kind": kind,
                    "mode": "draft",
                    "status": "done",
                    "payload": payload,
                    "taken_at": at,
                    "taken_by": OWNER_ADDRESS,
                }
            )
            audits.append(
                {
                    "occurred_at": at,
                    "actor": OWNER_ADDRESS,
                    "action": f"support.{kind}",
                    "rule": None,
                    "entity_type": "support_ticket",
                    "entity_id": ticket_id,
                    "inputs": payload,
                    "outcome": outcome[:300],
                    "is_reversible": reversible,
                }
            )
        counts[draft.intent] = counts.get(draft.intent, 0) + 1
        ticket_id += 1

    write_rows(connection, SupportTicket, _columns(tickets))
    write_rows(connection, SupportMessage, _columns(messages))
    write_rows(connection, SupportAction, _columns(actions))
    write_rows(connection, AuditLog, _columns(audits))
    reset_sequences(connection, [SupportTicket])
    ctx.truth.append(
        (
            "support_history_summary",
            "history",
            {
                "owner": OWNER_ADDRESS,
                "first_opened_at": tickets[0]["opened_at"].isoformat() if tickets else None,
                "last_closed_at": max(t["closed_at"] for t in tickets).isoformat() if tickets else None,
                "tickets": len(tickets),
                "messages": len(messages),
                "actions": dict(sorted(_count(a["kind"] for a in actions).items())),
                "intents": dict(sorted(counts.items())),
            },
        )
    )


def _inbound(
    ticket_id: int,
    message_id: str,
    in_reply_to: str | None,
    sender: str,
    store: Store,
    subject: str,
    body: str,
    at: datetime,
) -> dict[str, Any]:
    return {
        "ticket_id": ticket_id,
        "message_id": message_id,
        "in_reply_to": in_reply_to,
        "direction": "inbound",
        "from_address": sender,
        "to_address": store.support_address,
        "subject": subject[:500],
        "body": body,
        "sent_at": at,
    }


def _count(values: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts
