"""Shopify products export (Admin → Products → Export → CSV): one row per variant, plus image rows.

Product-level fields (Title, Vendor, Type, Status…) are written only on the first row of a handle;
the following rows of the same handle carry the variant fields, and extra image rows carry only
`Handle` and `Image …`. Options are matched to size and colour by their names on the first row.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sasame.connectors.base import FileFormat, ParseContext, header_line
from sasame.connectors.files import SourceFile
from sasame.connectors.records import ProductRecord, SourceRef, StockLevelRecord, VariantRecord
from sasame.connectors.shopify.common import Cells, fold, money, read_table, warn_once

COLUMNS = (  # noqa: SIM905 (the core header as the 2025 export writes it, easy to compare)
    "Handle, Title, Body (HTML), Vendor, Product Category, Type, Tags, Published, "
    "Option1 Name, Option1 Value, Option1 Linked To, Option2 Name, Option2 Value, Option2 Linked To, "
    "Option3 Name, Option3 Value, Option3 Linked To, Variant SKU, Variant Grams, "
    "Variant Inventory Tracker, Variant Inventory Qty, Variant Inventory Policy, "
    "Variant Fulfillment Service, Variant Price, Variant Compare At Price, Variant Requires Shipping, "
    "Variant Taxable, Variant Barcode, Image Src, Image Position, Image Alt Text, Gift Card, "
    "SEO Title, SEO Description, Variant Image, Variant Weight Unit, Variant Tax Code, "
    "Cost per item, Status"
).split(", ")
"""The columns sasame knows (metafield, Google Shopping and market columns are left alone)."""

REQUIRED = ("Handle", "Variant Price")

SIZE_OPTIONS = frozenset(
    {"size", "sizes", "größe", "grösse", "groesse", "taille", "talla", "storlek", "maat"}
)
COLOUR_OPTIONS = frozenset(
    {"color", "colour", "colors", "colours", "farbe", "couleur", "färg", "kleur", "colore", "väri"}
)
"""Option names (case-insensitive) that mean size or colour in the languages stores use."""

DEFAULT_TITLE = "Default Title"
"""The one option value of a product without variants."""

INACTIVE_STATUSES = frozenset({"draft", "archived"})

EXPORT_LOCATION = ("shopify-export", "Shopify (products export)")
"""Where the products export's stock counts are kept: it names no location."""

LIMITS = {"Handle": 200, "Title": 300, "Vendor": 200, "Variant SKU": 100, "Variant Barcode": 40}
"""What the database keeps of these cells; a longer value is damage, refused by row and column."""


class ShopifyProductsCsv(FileFormat):
    name = "shopify.products_csv"
    title = "Shopify products export (CSV)"

    def detect(self, file: SourceFile) -> bool:
        header = {fold(cell) for cell in header_line(file)}
        return {"handle", "variant price", "option1 value"} <= header

    def parse(self, file: SourceFile, context: ParseContext) -> Iterator[ProductRecord | StockLevelRecord]:
        _, rows = read_table(file, COLUMNS, required=REQUIRED)
        context.rows_read = len(rows)
        by_handle: dict[str, list[Cells]] = {}
        for row in rows:
            handle = self._text(row, "Handle", required=True)
            assert handle is not None
            by_handle.setdefault(handle, []).append(row)
        skus: dict[str, int] = {}
        counted: list[tuple[str, Cells]] = []
        for handle, group in by_handle.items():
            yield self._product(handle, group, context, skus, counted)
        if context.now is not None:
            for sku, row in counted:
                yield self._stock_level(sku, row, context.now)

    def _stock_level(self, sku: str, row: Cells, now: datetime) -> StockLevelRecord:
        """`Variant Inventory Qty` of a tracked variant: its count at the store's one location
        (exports of stores with several locations leave the column out)."""
        raw = row.get("Variant Inventory Qty").strip()
        try:
            quantity = int(raw)
        except ValueError:
            raise row.error("Variant Inventory Qty", f"is {raw!r}, not a whole number of units") from None
        return StockLevelRecord(
            sku=sku,
            location_code=EXPORT_LOCATION[0],
            location_name=EXPORT_LOCATION[1],
            on_hand=quantity,
            reserved=0,
            counted_at=now,
            source=SourceRef(f"{self.name}.stock", sku, row.number, {"Variant Inventory Qty": raw}),
        )

    def _product(
        self,
        handle: str,
        rows: list[Cells],
        context: ParseContext,
        skus: dict[str, int],
        counted: list[tuple[str, Cells]],
    ) -> ProductRecord:
        first = rows[0]
        title = self._text(first, "Title", required=True)
        assert title is not None
        option_names = [(first.text(f"Option{n} Name") or "").casefold() for n in (1, 2, 3)]
        status = (first.text("Status") or "").lower()
        if status:
            is_active = status not in INACTIVE_STATUSES
        else:  # exports older than the Status column say whether the product is published
            is_active = (first.text("Published") or "true").lower() != "false"
        variants: list[VariantRecord] = []
        for row in rows:
            if not any(row.text(column) for column in ("Option1 Value", "Variant SKU", "Variant Price")):
                continue  # an image row: only Handle and Image columns
            variant = self._variant(handle, title, row, option_names, is_active, context)
            if variant.sku in skus:
                warn_once(
                    context,
                    f"{row.file}: SKU {variant.sku!r} appears again",
                    f" (rows {skus[variant.sku]} and {row.number}); the later variant was skipped, since"
                    " one SKU can only be one variant",
                )
                continue
            skus[variant.sku] = row.number
            variants.append(variant)
            if row.text("Variant Inventory Tracker") and row.text("Variant Inventory Qty") is not None:
                counted.append((variant.sku, row))  # tracked, and the export has the column
        category = first.text("Type") or _last_part(first.text("Product Category")) or "Uncategorized"
        return ProductRecord(
            handle=handle,
            title=title,
            category=category[:100],
            vendor=self._text(first, "Vendor"),
            is_active=is_active,
            variants=tuple(variants),
            source=SourceRef(self.name, handle, first.number, {"rows": [row.number for row in rows]}),
        )

    def _variant(
        self,
        handle: str,
        product_title: str,
        row: Cells,
        option_names: list[str],
        is_active: bool,
        context: ParseContext,
    ) -> VariantRecord:
        values = [row.text(f"Option{n} Value") for n in (1, 2, 3)]
        size = colour = None
        for name, value in zip(option_names, values, strict=True):
            if value and name in SIZE_OPTIONS:
                size = value[:40]
            elif value and name in COLOUR_OPTIONS:
                colour = value[:60]
        named = [value for value in values if value and value != DEFAULT_TITLE]
        sku = self._text(row, "Variant SKU")
        if sku is None:
            # Shopify lets variants go without a SKU; sasame needs one, so it names the variant by
            # its handle and options (stable across exports) and says so.
            sku = "/".join([handle, *named])[:100]
            warn_once(
                context,
                f"{row.file}: variants without a SKU",
                f" (first row {row.number}) were given one made of the handle and options, e.g. {sku!r}",
            )
        price = money(row, "Variant Price", required=True)
        assert price is not None
        return VariantRecord(
            sku=sku,
            title=" / ".join(named) if named else product_title,
            price=price,
            currency=context.currency,
            size=size,
            colour=colour,
            barcode=self._text(row, "Variant Barcode"),
            weight_grams=_grams(row),
            unit_cost=money(row, "Cost per item"),
            is_active=is_active,
        )

    def _text(self, row: Cells, column: str, *, required: bool = False) -> str | None:
        value = row.text(column, required=required)
        limit = LIMITS.get(column)
        if value is not None and limit is not None and len(value) > limit:
            raise row.error(column, f"is {len(value)} characters long; at most {limit} are kept")
        return value


def _grams(row: Cells) -> int | None:
    """`Variant Grams` is written as a decimal ('2000.0'); grams are kept whole."""
    weight = money(row, "Variant Grams")
    if weight is None:
        return None
    if weight < 0:
        raise row.error("Variant Grams", f"{row.get('Variant Grams')!r} is not a weight")
    return int(weight.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _last_part(category: str | None) -> str | None:
    """'Apparel & Accessories > Clothing > Shirts & Tops' → 'Shirts & Tops'."""
    if not category or category.lower() == "uncategorized":
        return None
    return category.rsplit(">", 1)[-1].strip() or None
