"""Draft purchase orders per supplier: a CSV to import anywhere, a PDF to send, and an email text.

The files are for the owner to check and send; nothing is sent. The same drafts are recorded as
`purchase_order` rows with status 'draft' (`service.record_draft_orders`), under the same numbers.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sasame.core.errors import UserError
from sasame.inventory.plan import Suggestion

CSV_COLUMNS = (
    "po_number",
    "supplier",
    "sku",
    "supplier_sku",
    "title",
    "quantity",
    "unit_cost",
    "line_total",
    "currency",
    "order_by",
    "expected_on",
)
# PDF core fonts speak Latin-1 only; the usual typographic characters get plain equivalents.
_PLAIN = str.maketrans({"—": "-", "–": "-", "‘": "'", "’": "'", "“": '"', "”": '"', "…": "...", "•": "*"})


@dataclass(frozen=True)
class Draft:
    supplier: str
    number: str
    lines: int
    units: int
    total: Decimal
    currency: str
    csv_path: Path
    pdf_path: Path
    email_path: Path


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "supplier"


def po_number(supplier: str, today: date) -> str:
    return f"DRAFT-{today:%Y%m%d}-{slug(supplier)[:24].upper()}"


def write_drafts(
    grouped: Mapping[str, Sequence[Suggestion]],
    out_dir: Path,
    *,
    store: str,
    today: date,
    contacts: Mapping[str, str | None] | None = None,
    numbers: Mapping[str, str] | None = None,
) -> list[Draft]:
    """Write one CSV, PDF and email draft per supplier into `out_dir`; return what was written.

    `numbers` gives the PO number per supplier (the recorded draft's); by default DRAFT-date-SUPPLIER."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"{out_dir}: cannot create the output folder ({error.strerror})") from error
    drafts = []
    for supplier, lines in grouped.items():
        if not lines:
            continue
        number = (numbers or {}).get(supplier) or po_number(supplier, today)
        base = out_dir / number.lower()
        currency = lines[0].currency
        total = sum((line.cost for line in lines), Decimal(0))
        draft = Draft(
            supplier=supplier,
            number=number,
            lines=len(lines),
            units=sum(line.quantity for line in lines),
            total=total,
            currency=currency,
            csv_path=base.with_suffix(".csv"),
            pdf_path=base.with_suffix(".pdf"),
            email_path=base.with_suffix(".txt"),
        )
        try:
            write_csv(draft, lines)
            write_pdf(draft, lines, store=store, today=today)
            draft.email_path.write_text(
                email_text(draft, lines, store=store, today=today, to=(contacts or {}).get(supplier)),
                encoding="utf-8",
            )
        except OSError as error:
            raise UserError(
                f"{out_dir}: cannot write the purchase order drafts ({error.strerror})"
            ) from error
        drafts.append(draft)
    return drafts


def write_csv(draft: Draft, lines: Sequence[Suggestion]) -> None:
    with draft.csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for line in lines:
            writer.writerow(
                [
                    draft.number,
                    draft.supplier,
                    line.sku,
                    line.supplier_sku or "",
                    line.title,
                    line.quantity,
                    str(line.unit_cost),
                    str(line.cost),
                    line.currency,
                    line.order_by.isoformat(),
                    line.expected_on.isoformat(),
                ]
            )


def _latin1(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


def write_pdf(draft: Draft, lines: Sequence[Suggestion], *, store: str, today: date) -> None:
    """A one-table PDF: header, one row per SKU, total; long orders run onto further pages."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(_latin1(f"{draft.number} {draft.supplier}"))
    pdf.set_creator("sasame")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 10, _latin1(f"Purchase order {draft.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    for text in (
        f"From: {store}",
        f"To: {draft.supplier}",
        f"Date: {today.isoformat()}",
        "Status: draft - please confirm quantities, price and delivery date",
    ):
        pdf.cell(0, 6, _latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    widths = (30, 30, 60, 18, 24, 28)
    headers = ("SKU", "Supplier SKU", "Item", "Qty", "Unit cost", "Line total")

    def header_row() -> None:
        pdf.set_font("Helvetica", "B", 9)
        for width, text in zip(widths, headers, strict=True):
            pdf.cell(
                width, 7, text, border=1, align="R" if text in ("Qty", "Unit cost", "Line total") else "L"
            )
        pdf.ln()
        pdf.set_font("Helvetica", "", 9)

    header_row()
    for line in lines:
        if pdf.will_page_break(7):
            pdf.add_page()
            header_row()
        cells = (
            (line.sku, "L"),
            (line.supplier_sku or "", "L"),
            (line.title[:38], "L"),
            (str(line.quantity), "R"),
            (str(line.unit_cost), "R"),
            (str(line.cost), "R"),
        )
        for width, (text, align) in zip(widths, cells, strict=True):
            pdf.cell(width, 7, _latin1(text), border=1, align=align)
        pdf.ln()
    if pdf.will_page_break(8):
        pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(sum(widths[:-1]), 8, _latin1(f"Total ({draft.units} units)"), border=1, align="R")
    pdf.cell(widths[-1], 8, _latin1(f"{draft.total} {draft.currency}"), border=1, align="R")
    pdf.output(str(draft.pdf_path))


def email_text(draft: Draft, lines: Sequence[Suggestion], *, store: str, today: date, to: str | None) -> str:
    """A plain email the owner can paste or send as is, with the PDF attached."""
    earliest = min(line.order_by for line in lines)
    rows = "\n".join(f"  {line.quantity:>6} x {line.sku}  {line.title}" for line in lines)
    return (
        f"To: {to or ''}\n"
        f"Subject: Purchase order {draft.number} from {store}\n"
        f"\n"
        f"Hello {draft.supplier} team,\n"
        f"\n"
        f"Please find attached our purchase order {draft.number} dated {today.isoformat()} "
        f"({draft.lines} lines, {draft.units} units, {draft.total} {draft.currency}):\n"
        f"\n"
        f"{rows}\n"
        f"\n"
        f"Could you confirm the quantities, prices and the ship date? We need to place it by "
        f"{earliest.isoformat()} and are counting on the usual lead time.\n"
        f"\n"
        f"Thank you,\n"
        f"{store}\n"
    )
