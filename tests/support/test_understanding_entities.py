"""Entities: order references per channel format, catalog mentions, sizes, colours, mood."""

from __future__ import annotations

import pytest

from sasame.support.understanding import Catalog, CatalogVariant, OrderReference, email_address, understand
from sasame.support.understanding.entities import (
    catalog_mentions,
    colours_in,
    order_references,
    sentiment,
    sizes_in,
    urgency,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Where is order #1001?", [OrderReference("#1001", "shopify")]),
        ("my order 1001 has not come", [OrderReference("1001", None)]),
        ("order no. 1043 please", [OrderReference("1043", None)]),
        ("Order number: #2044", [OrderReference("#2044", "shopify")]),
        ("Amazon order 112-1234567-7654321 late", [OrderReference("112-1234567-7654321", "amazon")]),
        ("(Order: 114-7777934-3602018)", [OrderReference("114-7777934-3602018", "amazon")]),
        ("Etsy receipt 2900001234 broken", [OrderReference("2900001234", "etsy")]),
        ("Etsy order #2900253406", [OrderReference("2900253406", "etsy")]),
        ("Ref: W-2044", [OrderReference("W-2044", "woocommerce")]),
        ("orders #1001 and #1002", [OrderReference("#1001", "shopify"), OrderReference("#1002", "shopify")]),
    ],
)
def test_order_references_per_channel(text: str, expected: list[OrderReference]) -> None:
    assert list(order_references(text)) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Call me on 555 0100 or 07700 900123",
        "I paid $45.00 on 12/03/2026",
        "tracking 1Z999AA10123456784 says nothing",
        "I'm 5'6 and 140 lbs",
        "size 10 please",
    ],
)
def test_numbers_that_are_not_orders(text: str) -> None:
    assert order_references(text) == ()


def test_lookup_numbers_cover_how_shops_store_numbers() -> None:
    assert OrderReference("1001", None).lookup_numbers() == ("1001", "#1001")
    assert OrderReference("#1001", "shopify").lookup_numbers() == ("#1001", "1001")
    assert OrderReference("W-2044", "woocommerce").lookup_numbers() == ("W-2044",)


def test_quoted_reference_is_a_fallback_only() -> None:
    body = "Any news?\n\nOn Mon, 2 Mar 2026, Shop <s@x.com> wrote:\n> Your order #1009 has shipped"
    assert understand("Re: your order", body).order_refs == (OrderReference("#1009", "shopify"),)
    body_with_own = (
        "Where is #1010?\n\nOn Mon, 2 Mar 2026, Shop <s@x.com> wrote:\n> Your order #1009 has shipped"
    )
    assert understand("Re: your order", body_with_own).order_refs == (OrderReference("#1010", "shopify"),)


CATALOG = Catalog(
    (
        CatalogVariant("TANK-RIB-BLK-S", 1, "Ribbed Tank", "Ribbed Tank - Black / S", "S", "Black"),
        CatalogVariant("TANK-RIB-BLK-M", 2, "Ribbed Tank", "Ribbed Tank - Black / M", "M", "Black"),
        CatalogVariant("TANK-RIB-WHT-M", 3, "Ribbed Tank", "Ribbed Tank - White / M", "M", "White"),
        CatalogVariant("MUG-ENM-2", 4, "Enamel Camp Mug No. 2", "Enamel Camp Mug No. 2", None, "Sage"),
        CatalogVariant("PRINT-A3", 5, "Art Print A3", "Art Print A3", None, None),
    )
)


def test_catalog_sizes_and_colours_come_from_the_variants() -> None:
    assert CATALOG.sizes == ("S", "M")
    assert CATALOG.colours == ("Black", "White", "Sage")


def test_a_stores_product_words_are_no_typos() -> None:
    from sasame.support.understanding.intents import shipped_model

    assert {"ribbed", "tank", "enamel", "camp", "mug", "no", "black", "sage", "m"} <= CATALOG.words
    speller = shipped_model().speller
    # "tank" is one slip from the classifier's "thank"; in a store selling a Ribbed Tank it is meant.
    assert speller.correct("i want to return this ribbed tank") == "i want to return this ribbed thank"
    assert speller.correct("i want to return this ribbed tank", keep=CATALOG.words) == (
        "i want to return this ribbed tank"
    )


def test_catalog_mention_narrowed_by_size_and_colour() -> None:
    text = "Do you have the ribbed tank in white, size M?"
    sizes, colours = sizes_in(text, CATALOG), colours_in(text, CATALOG)
    assert sizes == ("M",)
    assert colours == ("white",)
    mentions = catalog_mentions(text, CATALOG, sizes, colours)
    assert [(m.sku, m.variant_id, m.size, m.colour, m.score) for m in mentions] == [
        ("TANK-RIB-WHT-M", 3, "M", "White", 1.0)
    ]


def test_catalog_mention_fuzzy_and_short_forms() -> None:
    # A typo in the title still matches; the customer's short name ("enamel mug") matches too.
    typo = catalog_mentions("is the ribed tank see-through?", CATALOG)
    assert [m.sku for m in typo] == ["TANK-RIB-BLK-S"]
    assert typo[0].size is None and 0.8 <= typo[0].score < 1.0
    short = catalog_mentions("my enamel mug arrived chipped", CATALOG)
    assert [(m.sku, m.score) for m in short] == [("MUG-ENM-2", 0.95)]
    assert catalog_mentions("a plain sentence about nothing", CATALOG) == ()


def test_the_longer_title_written_in_full_wins() -> None:
    catalog = Catalog(
        (
            CatalogVariant("TOTE-OAT", 1, "Canvas Tote", "Canvas Tote", None, "Oat"),
            CatalogVariant("TOTE2-OAT", 2, "Canvas Tote No. 2", "Canvas Tote No. 2", None, "Oat"),
        )
    )
    full = catalog_mentions("Does the Canvas Tote No. 2 run small?", catalog)
    assert [m.sku for m in full] == ["TOTE2-OAT"]
    assert [(m.sku, m.score) for m in catalog_mentions("Does the canvas tote run small?", catalog)] == [
        ("TOTE-OAT", 1.0),
        ("TOTE2-OAT", 0.95),
    ]


def test_exact_sku_scores_one() -> None:
    assert [(m.sku, m.score) for m in catalog_mentions("SKU PRINT-A3 please", CATALOG)] == [("PRINT-A3", 1.0)]


def test_product_names_are_masked_for_the_classifier() -> None:
    assert CATALOG.mask_products("Is the Ribbed Tank or the enamel mug back?") == (
        "Is the  _product_  or the  _product_  back?"
    )


def test_sizes_in_words_and_letters() -> None:
    assert sizes_in("could I get a medium instead of the XL?") == ("M", "XL")
    assert sizes_in("S or M in the tank?") == ("S", "M")
    assert sizes_in("I'M happy, it's fine") == ()
    assert sizes_in("S, M or L?") == ("S", "M", "L")
    # A sign-off's initial under "Thanks," is no size: the comma counts on its own line only.
    assert sizes_in("switch it to cedar? thanks in advance,\nS") == ()
    assert sizes_in("Is it too late? I need L not XL.") == ("L", "XL")


def test_email_address_from_a_from_header() -> None:
    assert email_address("Ann Lee <Ann.Lee@Example.COM>") == "ann.lee@example.com"
    assert email_address("no address here") is None


def test_sentiment_and_urgency_lexicon() -> None:
    assert sentiment("I love it, thank you so much!") == 0.5
    assert sentiment("Where is my order?") == 0.0
    # "good" is no positive word (it greets: "good morning"); terrible, unacceptable, "!!" count.
    assert sentiment("This is not good, terrible and unacceptable!!") == -0.556
    assert sentiment("not happy at all") == -0.333
    # Praise in other words: "fits perfectly", "obsessed with", a heart-eyes emoji.
    assert sentiment("The crew socks fit perfectly, I'll definitely order again.") == 0.333
    assert sentiment("obsessed with my new tote 😍") == 0.5
    assert urgency("I will file a chargeback", 0.0, "order_status") == "high"
    assert urgency("Where is it?", -0.7, "order_status") == "high"
    assert urgency("Do you ship to Canada?", 0.0, "shipping_question") == "low"
    assert urgency("Where is it?", 0.0, "order_status") == "normal"
