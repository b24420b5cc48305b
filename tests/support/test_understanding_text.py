"""Cleaning e-mail bodies: quoted replies, signatures and HTML are removed before understanding."""

from __future__ import annotations

from sasame.support.understanding.text import (
    clean_body,
    clean_subject,
    html_to_text,
    intent_subject,
    without_courtesy,
)


def test_gmail_quote_and_sign_off_are_removed() -> None:
    body = (
        "Hi,\n\nWhere is my parcel? It has been ten days.\n\nThanks,\nAnn\n\n"
        "On Tue, 3 Mar 2026 at 10:02, Shop <hello@shop.com> wrote:\n"
        "> Your order #1001 has shipped.\n> Tracking: 1Z999"
    )
    assert clean_body(body) == "Hi,\n\nWhere is my parcel? It has been ten days."


def test_wrapped_on_wrote_header_is_a_quote() -> None:
    body = (
        "Please cancel it.\n\nOn Tue, 3 Mar 2026 at 10:02, The Long Shop Name\n"
        "<hello@shop.com> wrote:\n> Thanks for your order"
    )
    assert clean_body(body) == "Please cancel it."


def test_angle_bracket_lines_are_dropped_even_without_a_header() -> None:
    assert clean_body("> old text\nNew question here\n> more old") == "New question here"


def test_outlook_block_is_cut() -> None:
    body = (
        "Can I return the lamp?\n\n"
        "From: Shop <hello@shop.com>\nSent: Monday, March 2, 2026 9:00 AM\nTo: ann@example.com\n"
        "Subject: Your order\n\nYour order has shipped."
    )
    assert clean_body(body) == "Can I return the lamp?"


def test_forwarded_message_header_is_cut() -> None:
    body = "See below, still no refund.\n\n---------- Forwarded message ---------\nFrom: Shop\nRefund issued"
    assert clean_body(body) == "See below, still no refund."


def test_signature_dash_dash_and_phone_footer() -> None:
    assert clean_body("Is this in stock?\n-- \nAnn Lee\n+1 555 0100") == "Is this in stock?"
    assert clean_body("where is it\n\nSent from my iPhone") == "where is it"


def test_sign_off_near_the_end_starts_the_signature() -> None:
    body = "Do you ship to Canada?\n\nKind regards,\nAnn Lee\nAcme Ltd\n555 0100"
    assert clean_body(body) == "Do you ship to Canada?"


def test_thanks_inside_the_request_is_kept() -> None:
    body = "Thanks for the quick delivery, but the mug is chipped.\nCan you send another?"
    assert clean_body(body) == body


def test_html_body_becomes_text_and_blockquote_is_dropped() -> None:
    body = (
        "<html><head><style>p {color: red}</style></head><body><p>Hello,</p>"
        "<p>My order&nbsp;#1002 is <b>late</b>.</p><blockquote>Your order shipped</blockquote></body></html>"
    )
    assert clean_body(body) == "Hello,\n\nMy order #1002 is late."
    assert html_to_text("<div>a<br>b</div>") == "a\nb"


def test_subject_prefixes_and_marketplace_envelope() -> None:
    assert clean_subject("Re: RE: Fwd: Where is my order?") == "Where is my order?"
    assert clean_subject("AW: Bestellung") == "Bestellung"
    assert clean_subject("Inquiry from Amazon customer Ann Lee (Order: 112-1234567-7654321)") == (
        "Order: 112-1234567-7654321"
    )
    assert clean_subject("Inquiry from Amazon customer Ann Lee") == ""


def test_the_intent_classifier_reads_no_marketplace_envelope() -> None:
    # Amazon writes the same envelope whatever the buyer asks: its order part says nothing either.
    assert intent_subject("Re: Inquiry from Amazon customer Ann Lee (Order: 112-1234567-7654321)") == ""
    assert intent_subject("Re: Where is my order #1001?") == "Where is my order #1001?"


def test_the_intent_classifier_reads_no_subject_of_a_quoted_mail() -> None:
    # "Re: Order #1001 has shipped" over a quoted shipping notice is the shop's subject, not the
    # customer's ask ("I'd like to return the mug"); without the quote it is the customer's own.
    body = (
        "I'd like to return the mug please.\n\nOn Oct 16, 2026, at 17:04, Shop <support@shop.com> wrote:\n"
        "> Good news - your order #1001 is on its way."
    )
    assert intent_subject("Re: Order #1001 has shipped", body) == ""
    assert intent_subject("Re: Order #1001 has shipped", "> quoted line\nAny news?") == ""
    assert intent_subject("Re: Order #1001 has shipped", "I'd like to return the mug please.") == (
        "Order #1001 has shipped"
    )
    assert intent_subject("Order #1001 has shipped", body) == "Order #1001 has shipped"
    assert clean_subject("Re: Order #1001 has shipped") == "Order #1001 has shipped"


def test_courtesy_sentences_are_not_read_by_the_intent_classifier() -> None:
    text = (
        "Hi,\n\nI hope you're well. Where is my order?\n\n"
        "Thanks in advance for your help!\nLooking forward to hearing from you."
    )
    assert without_courtesy(text) == "Where is my order?"
    # A sentence that carries more than courtesy stays; so does a text that is only courtesy.
    assert without_courtesy("Thanks for the lovely note! Let me know what you think.") == (
        "Thanks for the lovely note!"
    )
    assert without_courtesy("Thank you so much!") == "Thank you so much!"
    assert without_courtesy("Quick question. Do you ship to Germany? Appreciate any help.") == (
        "Do you ship to Germany?"
    )


def test_greeting_sentences_are_not_read_by_the_intent_classifier() -> None:
    text = "Dear customer service!\nHi Sasame Goods Co.\nGood morning\nAny update on order 14588?"
    assert without_courtesy(text) == "Any update on order 14588?"
    # A greeting that runs into the ask is the ask: capitalised words are names, "I" is no name.
    assert without_courtesy("Hi I need to cancel") == "Hi I need to cancel"
    assert without_courtesy("Hi, can you help?") == "Hi, can you help?"
    # An abbreviation ends no sentence: "Co. team!" is the rest of the greeting, "No. 2" of a name.
    assert without_courtesy("hello Sasame Goods Co. team!\n\nobsessed with my new mug") == (
        "obsessed with my new mug"
    )
    assert without_courtesy("Hi. Can I swap Mug No. 2 for a charcoal one?") == (
        "Can I swap Mug No. 2 for a charcoal one?"
    )
