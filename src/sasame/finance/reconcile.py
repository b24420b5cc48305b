"""Reconciliation: payouts against their lines, deposits against the bank, clearing accounts, and
why profit and cash differ.

1. Each payout's lines must sum to its deposit amount.
2. Each paid payout is matched to one bank line of the same amount (and currency) posted within a
   few days of the payout date; the match is stored in ``bank_transaction.payout_id``. A payout in
   another currency than its bank line (Amazon.ca paying CAD into a USD account) matches the line
   closest to its converted amount, and the rate really applied is kept as a 'payout' rate.
3. What is left over becomes an exception with an amount and a plain reason: a deposit with no
   payout (missing payout), a paid payout with no deposit, lines that do not add up (changed fee),
   a reserve held back, a refund settled after its sale's payout, a clearing account that does
   not net to what is still in transit.
4. Profit versus cash: since every journal entry balances, the change in the bank equals net
   income minus the change in every other balance-sheet account. Those changes are the
   reconciling items, each with a plain label, and they add up exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day
from sasame.core.errors import UserError
from sasame.core.money import round_money
from sasame.finance.fx import RateBook, record_payout_rate
from sasame.finance.pnl import pairs
from sasame.models.base import Amount

DEPOSIT_WINDOW_BEFORE = timedelta(days=2)
DEPOSIT_WINDOW_AFTER = timedelta(days=5)
"""A bank line may post up to two days before (value-dated) or five days after the payout date."""
FX_TOLERANCE = Decimal("0.05")
"""A cross-currency deposit may differ from the converted payout by up to 5% (rate spread, timing)."""
BANK = "1000"
TAKEN_BACK = ("refund", "chargeback")
"""Causes (and payout line kinds) by which money an order brought in is taken back."""


@dataclass(frozen=True)
class ReconciliationIssue:
    kind: str
    subject: str
    subject_id: int
    amount: Decimal
    currency: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {**self.__dict__, "amount": str(round_money(self.amount, self.currency))}


@dataclass(frozen=True)
class PayoutCheck:
    payout_id: int
    provider: str
    external_id: str
    paid_on: date
    amount: Decimal
    currency: str
    lines_total: Decimal
    bank_transaction_id: int | None
    bank_posted_on: date | None
    bank_amount: Decimal | None
    status: str
    """reconciled, lines_mismatch, no_deposit, awaiting_statement."""

    def as_json(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "paid_on": self.paid_on.isoformat(),
            "bank_posted_on": self.bank_posted_on.isoformat() if self.bank_posted_on else None,
            "amount": str(round_money(self.amount, self.currency)),
            "lines_total": str(round_money(self.lines_total, self.currency)),
            "bank_amount": None
            if self.bank_amount is None
            else str(round_money(self.bank_amount, self.currency)),
        }


@dataclass(frozen=True)
class ClearingCheck:
    account_code: str
    account_name: str
    balance: Decimal
    in_transit: Decimal
    """Lines of payouts the provider has not deposited yet."""
    awaiting_payout: Decimal
    """Booked for orders and refunds no payout has included yet."""
    unexplained: Decimal

    def as_json(self) -> dict[str, Any]:
        return {
            k: (str(v.quantize(Decimal("0.01"))) if isinstance(v, Decimal) else v)
            for k, v in self.__dict__.items()
        }


@dataclass(frozen=True)
class ReconcilingItem:
    label: str
    account_code: str
    amount: Decimal
    """What this item adds to profit to arrive at the change in cash (signed)."""

    def as_json(self) -> dict[str, Any]:
        return {"label": self.label, "account_code": self.account_code, "amount": str(self.amount)}


@dataclass
class ProfitVsCash:
    first: date
    last_exclusive: date
    net_income: Decimal
    cash_change: Decimal
    items: list[ReconcilingItem]

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "last_exclusive": self.last_exclusive.isoformat(),
            "net_income": str(self.net_income),
            "cash_change": str(self.cash_change),
            "items": [item.as_json() for item in self.items],
        }


@dataclass
class Reconciliation:
    currency: str
    payouts: list[PayoutCheck]
    matched_now: int
    issues: list[ReconciliationIssue]
    clearing: list[ClearingCheck] = field(default_factory=list)
    profit_vs_cash: ProfitVsCash | None = None

    @property
    def reconciled(self) -> int:
        return sum(1 for check in self.payouts if check.status == "reconciled")

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "payouts": len(self.payouts),
            "reconciled": self.reconciled,
            "matched_now": self.matched_now,
            "issues": [issue.as_json() for issue in self.issues],
            "clearing": [check.as_json() for check in self.clearing],
            "profit_vs_cash": self.profit_vs_cash.as_json() if self.profit_vs_cash else None,
            "payout_checks": [check.as_json() for check in self.payouts],
        }


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:,.2f} {currency}"


def match_deposits(session: Session) -> int:
    """Match every unmatched paid payout to a bank line; store it in bank_transaction.payout_id."""
    bank = m.BankTransaction
    matched_payouts = set(session.scalars(select(bank.payout_id).where(bank.payout_id.is_not(None))))
    free_lines = session.execute(
        select(bank.id, bank.posted_on, bank.amount, bank.currency)
        .where(bank.payout_id.is_(None), bank.amount > 0)
        .order_by(bank.posted_on, bank.id)
    ).all()
    by_amount: dict[tuple[str, Decimal], list[tuple[date, int]]] = defaultdict(list)
    for line_id, posted_on, amount, currency in free_lines:
        by_amount[(currency, amount)].append((posted_on, line_id))
    taken: set[int] = set()
    pairs: list[dict[str, int]] = []
    unmatched: list[m.Payout] = []
    payouts = session.scalars(
        select(m.Payout).where(m.Payout.amount > 0).order_by(m.Payout.paid_on, m.Payout.id)
    ).all()
    for payout in payouts:
        if payout.id in matched_payouts:
            continue
        best = None
        for posted_on, line_id in by_amount.get((payout.currency, payout.amount), []):
            if line_id in taken:
                continue
            if payout.paid_on - DEPOSIT_WINDOW_BEFORE <= posted_on <= payout.paid_on + DEPOSIT_WINDOW_AFTER:
                distance = abs((posted_on - payout.paid_on).days)
                if best is None or distance < best[0]:
                    best = (distance, line_id)
        if best is None:
            unmatched.append(payout)
            continue
        taken.add(best[1])
        pairs.append({"line": best[1], "payout": payout.id})
    pairs.extend(_match_across_currencies(session, unmatched, free_lines, taken))
    for pair in pairs:
        session.execute(update(bank).where(bank.id == pair["line"]).values(payout_id=pair["payout"]))
    session.flush()
    return len(pairs)


def _match_across_currencies(
    session: Session, payouts: list[m.Payout], free_lines: Sequence[Any], taken: set[int]
) -> list[dict[str, int]]:
    """Match payouts to deposits in another currency at the closest converted amount."""
    pairs: list[dict[str, int]] = []
    books: dict[str, RateBook] = {}
    for payout in payouts:
        best = None
        for line_id, posted_on, amount, currency in free_lines:
            if line_id in taken or currency == payout.currency:
                continue
            if not (
                payout.paid_on - DEPOSIT_WINDOW_BEFORE <= posted_on <= payout.paid_on + DEPOSIT_WINDOW_AFTER
            ):
                continue
            book = books.setdefault(currency, RateBook.load(session, currency))
            try:
                expected = payout.amount * book.rate(payout.currency, payout.paid_on)
            except UserError:
                continue  # no rate known for this pair: such a deposit cannot be told apart
            gap = abs(amount - expected) / expected
            if gap <= FX_TOLERANCE and (best is None or gap < best[0]):
                best = (gap, line_id, amount, currency)
        if best is not None:
            taken.add(best[1])
            record_payout_rate(session, payout, best[2], best[3])
            pairs.append({"line": best[1], "payout": payout.id})
    return pairs


def check_payouts(session: Session) -> tuple[list[PayoutCheck], list[ReconciliationIssue]]:
    """Return every payout's check (lines sum, deposit) and the issues found."""
    bank = m.BankTransaction
    totals = pairs(
        session.execute(
            select(m.PayoutLine.payout_id, func.sum(m.PayoutLine.amount, type_=Amount)).group_by(
                m.PayoutLine.payout_id
            )
        )
    )
    deposits = {
        payout_id: (line_id, posted_on, amount)
        for line_id, payout_id, posted_on, amount in session.execute(
            select(bank.id, bank.payout_id, bank.posted_on, bank.amount).where(bank.payout_id.is_not(None))
        )
    }
    statement_end = session.scalar(select(func.max(bank.posted_on)))
    checks: list[PayoutCheck] = []
    issues: list[ReconciliationIssue] = []
    for payout in session.scalars(select(m.Payout).order_by(m.Payout.paid_on, m.Payout.id)):
        lines_total = totals.get(payout.id) or Decimal(0)
        deposit = deposits.get(payout.id)
        status = "reconciled"
        if lines_total != payout.amount:
            status = "lines_mismatch"
            issues.append(
                ReconciliationIssue(
                    "payout_lines_mismatch",
                    "payout",
                    payout.id,
                    payout.amount - lines_total,
                    payout.currency,
                    f"{payout.provider} payout {payout.external_id} deposits "
                    f"{_money(payout.amount, payout.currency)} but its lines sum to "
                    f"{_money(lines_total, payout.currency)}: a line is missing or a fee changed",
                )
            )
        if deposit is None and payout.amount > 0:
            due = payout.paid_on + DEPOSIT_WINDOW_AFTER
            if statement_end is None or statement_end < due or payout.status != "paid":
                status = "awaiting_statement" if status == "reconciled" else status
            else:
                status = "no_deposit"
                issues.append(
                    ReconciliationIssue(
                        "deposit_missing",
                        "payout",
                        payout.id,
                        payout.amount,
                        payout.currency,
                        f"{payout.provider} payout {payout.external_id} of "
                        f"{_money(payout.amount, payout.currency)} paid on {payout.paid_on} "
                        f"has no bank line within {DEPOSIT_WINDOW_AFTER.days} days",
                    )
                )
        checks.append(
            PayoutCheck(
                payout.id,
                payout.provider,
                payout.external_id,
                payout.paid_on,
                payout.amount,
                payout.currency,
                lines_total,
                deposit[0] if deposit else None,
                deposit[1] if deposit else None,
                deposit[2] if deposit else None,
                status,
            )
        )
    for line in session.scalars(
        select(bank).where(bank.payout_id.is_(None), bank.amount > 0).order_by(bank.posted_on, bank.id)
    ):
        issues.append(
            ReconciliationIssue(
                "payout_missing",
                "bank_transaction",
                line.id,
                line.amount,
                line.currency,
                f"deposit of {_money(line.amount, line.currency)} on {line.posted_on} ({line.description}) "
                "matches no payout: import that payout's report (missing payout)",
            )
        )
    reserves = session.execute(
        select(m.Payout.provider, m.PayoutLine.currency, func.sum(m.PayoutLine.amount, type_=Amount))
        .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
        .where(m.PayoutLine.kind == "reserve")
        .group_by(m.Payout.provider, m.PayoutLine.currency)
    ).all()
    for index, (provider, currency, held) in enumerate(reserves, start=1):
        if held:
            issues.append(
                ReconciliationIssue(
                    "reserve_held",
                    "payout_provider",
                    index,
                    -held,
                    currency,
                    f"{provider} holds {_money(-held, currency)} back as a reserve: it is released in a "
                    "later payout, so it is owed to you but not yet in the bank",
                )
            )
    return checks, issues


def check_clearing(session: Session) -> tuple[list[ClearingCheck], list[ReconciliationIssue]]:
    """Explain each clearing account's balance by payouts in transit and orders not yet paid out."""
    account = m.LedgerAccount
    clearing_accounts = session.execute(
        select(account.id, account.code, account.name, account.platform).where(account.is_clearing.is_(True))
    ).all()
    checks: list[ClearingCheck] = []
    issues: list[ReconciliationIssue] = []
    settings = store_settings(session)
    currency, timezone = settings.currency, settings.timezone
    for account_id, code, name, provider in clearing_accounts:
        balance = session.scalar(
            select(func.sum(m.Posting.store_amount, type_=Amount)).where(m.Posting.account_id == account_id)
        ) or Decimal(0)
        in_transit = session.scalar(
            select(func.sum(m.PayoutLine.amount, type_=Amount))
            .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
            .where(m.Payout.provider == provider, m.Payout.status != "paid")
        ) or Decimal(0)
        # The provider has paid out everything that happened before its last payout period ended;
        # what the books hold from that day on (or for orders no payout has touched yet, such as
        # unpaid invoices) simply awaits the next payout.
        last_end = session.scalar(select(func.max(m.Payout.period_end)).where(m.Payout.provider == provider))
        cutoff = business_day(last_end, timezone) if last_end is not None else None
        settled = pairs(
            session.execute(
                select(m.PayoutLine.order_id, func.sum(m.PayoutLine.amount, type_=Amount))
                .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
                .where(m.Payout.provider == provider, m.PayoutLine.order_id.is_not(None))
                .group_by(m.PayoutLine.order_id)
            )
        )
        awaiting = Decimal(0)
        booked_before: dict[int, Decimal] = defaultdict(Decimal)
        taken_back_before: dict[int, Decimal] = defaultdict(Decimal)
        for order_id, day, cause, amount in session.execute(
            select(
                m.Posting.order_id,
                m.Posting.business_day,
                m.JournalEntry.cause,
                func.sum(m.Posting.store_amount, type_=Amount),
            )
            .join(m.JournalEntry, m.JournalEntry.id == m.Posting.entry_id)
            .where(m.Posting.account_id == account_id, m.JournalEntry.cause != "payout")
            .group_by(m.Posting.order_id, m.Posting.business_day, m.JournalEntry.cause)
        ):
            if (order_id is not None and order_id not in settled) or cutoff is None or day >= cutoff:
                awaiting += amount
            elif order_id is not None:
                booked_before[order_id] += amount
                if cause in TAKEN_BACK:
                    taken_back_before[order_id] += amount
        taken_back_settled = pairs(
            session.execute(
                select(m.PayoutLine.order_id, func.sum(m.PayoutLine.amount, type_=Amount))
                .join(m.Payout, m.Payout.id == m.PayoutLine.payout_id)
                .where(
                    m.Payout.provider == provider,
                    m.PayoutLine.order_id.is_not(None),
                    m.PayoutLine.kind.in_(TAKEN_BACK),
                )
                .group_by(m.PayoutLine.order_id)
            )
        )
        # An order some payout settled, booked (before the cutoff) at another amount than its lines:
        # a refund or chargeback the books took back that no payout has (refund after payout), or
        # a payout that settled the order itself differently (a changed fee).
        after_payout = changed_fee = Decimal(0)
        for order, amount in booked_before.items():
            difference = amount - settled.get(order, Decimal(0))
            if difference:
                taken_back = taken_back_before.get(order, Decimal(0)) - taken_back_settled.get(
                    order, Decimal(0)
                )
                after_payout += taken_back
                changed_fee += difference - taken_back
        unexplained = balance - in_transit - awaiting
        checks.append(ClearingCheck(code, name, balance, in_transit, awaiting, unexplained))
        if unexplained != 0:
            parts = []
            if after_payout:
                parts.append(
                    f"{_money(after_payout, currency)} refunds or chargebacks after payout "
                    "that no payout has taken back yet"
                )
            if changed_fee:
                parts.append(
                    f"{_money(changed_fee, currency)} on orders a payout settled at another amount "
                    "(a changed fee)"
                )
            issues.append(
                ReconciliationIssue(
                    "clearing_open",
                    "ledger_account",
                    account_id,
                    unexplained,
                    currency,
                    f"{name} holds {_money(balance, currency)}: {_money(in_transit, currency)} is in payouts "
                    f"not yet deposited and {_money(awaiting, currency)} awaits a payout; the other "
                    f"{_money(unexplained, currency)} is unexplained"
                    + (f" ({'; '.join(parts)})" if parts else ""),
                )
            )
    return checks, issues


LABELS = {
    "1100": "sold but not yet paid out by {platform} (clearing)",
    "1150": "held back as reserve by {platform}",
    "1300": "stock bought minus stock sold (inventory)",
    "2000": "supplier bills not yet paid (accounts payable)",
    "2050": "card and carrier bills not yet paid",
    "2200": "sales tax collected, not yet remitted",
    "3000": "opening balances",
}


def profit_vs_cash(session: Session, first: date, last_exclusive: date) -> ProfitVsCash:
    """Return net income, the change in the bank, and the balance-sheet changes between them."""
    account = m.LedgerAccount
    rows = session.execute(
        select(
            account.code, account.platform, account.pnl_line, func.sum(m.Posting.store_amount, type_=Amount)
        )
        .join(account, account.id == m.Posting.account_id)
        .where(m.Posting.business_day >= first, m.Posting.business_day < last_exclusive)
        .group_by(account.code, account.platform, account.pnl_line)
    ).all()
    currency = store_settings(session).currency
    net_income = round_money(
        -sum((amount for _, _, line, amount in rows if line is not None), Decimal(0)), currency
    )
    cash = round_money(sum((amount for code, _, line, amount in rows if code == BANK), Decimal(0)), currency)
    items = []
    for code, platform, line, amount in sorted(rows, key=lambda row: row[0]):
        if line is not None or code == BANK or not amount:
            continue
        family = code.split(".")[0]
        label = LABELS.get(family, "{code}").format(platform=platform or "", code=code)
        # An asset that grew absorbed cash (minus); a liability that grew (credit) kept cash (plus).
        items.append(ReconcilingItem(label, code, round_money(-amount, currency)))
    return ProfitVsCash(first, last_exclusive, net_income, cash, items)


def reconcile(
    session: Session, now: datetime, first: date | None = None, last_exclusive: date | None = None
) -> Reconciliation:
    """Match deposits, check payouts and clearing accounts, store the exceptions; return the report."""
    matched = match_deposits(session)
    checks, issues = check_payouts(session)
    clearing, clearing_issues = check_clearing(session)
    issues.extend(clearing_issues)
    session.execute(delete(m.ReconciliationException))
    for issue in issues:
        session.add(
            m.ReconciliationException(
                kind=issue.kind,
                subject=issue.subject,
                subject_id=issue.subject_id,
                amount=issue.amount,
                currency=issue.currency,
                reason=issue.reason[:500],
                found_at=now,
            )
        )
    session.flush()
    span = session.execute(select(func.min(m.Posting.business_day), func.max(m.Posting.business_day))).one()
    start = first or span[0]
    end = last_exclusive or (span[1] + timedelta(days=1) if span[1] else None)
    comparison = profit_vs_cash(session, start, end) if start and end else None
    return Reconciliation(store_settings(session).currency, checks, matched, issues, clearing, comparison)
