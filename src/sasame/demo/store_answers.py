"""The demo store's owner-written answers (support ``faq.*`` settings), filled in once like a real
owner would: shipping options, PO boxes, discount-code rules, log-in help, and what each product
is made of, how to care for it and its measurements.

The generator writes them into the support policy and labels each customer question that one of
them answers with the answer's text (``faq_<topic>`` facts), so the grader checks that a reply
quotes the right one. The inbox's templates name their topic here, by the generator's own intent,
not by reading the text the way triage does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from sasame.ingest.bulk import table_of
from sasame.models import Product, SupportPolicySetting

STORE_ANSWERS: dict[str, str] = {
    "express_shipping": (
        "We offer Express shipping (1-2 business days after dispatch) for $14.95 at checkout; "
        "orders placed before 1pm ET on a weekday leave the same day."
    ),
    "po_boxes": (
        "Yes - standard shipping goes with USPS, which delivers to PO boxes. Express can't go to a PO box."
    ),
    # The demo store ships within the US only (every order's ship_country): its answers say so too,
    # rather than promise international rates and carriers its data never shows.
    "shipping_cost": "Standard shipping is $5.95 and free on orders over $75; we ship within the US only.",
    "carriers": "We ship with USPS and UPS, within the US only for now.",
    "holiday_delivery": (
        "For delivery before Christmas in the US, order by December 17 with standard shipping or "
        "December 20 with Express."
    ),
    "discount_codes": (
        "One discount code can be used per order, and it has to be entered at checkout - we can't add "
        "one to an order afterwards. Codes stop working at midnight ET on their end date."
    ),
    "promotions": (
        "Sign up to our newsletter for 10% off your first order (the code arrives within a few minutes; "
        "check your spam folder). We don't run a student discount at the moment."
    ),
    "price_adjustment": (
        "We don't adjust prices after purchase, but if the item is unused you can return it within 30 "
        "days and order it again at the sale price."
    ),
    "password_reset": (
        "To reset your password, use 'Forgot password?' on the log-in page; the e-mail comes from "
        "no-reply@sasame-goods.example, so please check your spam folder."
    ),
    "account_details": (
        "You can change your e-mail address, phone number and saved addresses under Account > Profile "
        "after logging in."
    ),
    "payment_declined": (
        "We accept Visa, Mastercard, Amex, PayPal and Apple Pay. If a payment is declined, please check "
        "the billing address matches your card's, or try PayPal - a declined attempt is never charged."
    ),
    # Business mail: what the owner tells shops, writers, applicants and charities every week.
    "wholesale": (
        "Yes - we sell wholesale to independent shops. Our line sheet with prices and minimums is at "
        "sasame-goods.example/wholesale; write to wholesale@sasame-goods.example to open an account."
    ),
    "press": (
        "Thank you for thinking of us! High-res images and our current prices are in the press kit at "
        "sasame-goods.example/press; for samples, write to press@sasame-goods.example with your deadline."
    ),
    "jobs": (
        "Thanks for your interest in working with us! Open roles are posted at sasame-goods.example/jobs; "
        "we keep applications on file for six months."
    ),
    "shop_visits": (
        "We're online only for now, with no shop or showroom to visit; each product page shows every "
        "colour photographed in daylight."
    ),
    "collaborations": (
        "Thank you! We look at creator and blog collaborations once a month: send a link to your work "
        "to hello@sasame-goods.example and we'll reply if it's a fit."
    ),
    "donations": (
        "We give a few gift cards to schools and local charities each month: send the event, its date "
        "and your organisation's name to hello@sasame-goods.example."
    ),
    "suppliers": (
        "Thank you for the introduction. We aren't taking on new suppliers at the moment; we'll keep "
        "your details and get in touch if that changes."
    ),
}
"""The owner's store-wide answers (``faq.<topic>``)."""

# Per product code (the handle without its 'No. 2'-style suffix): made of / care / measurements.
_PRODUCT_FACTS: dict[str, tuple[str, str, str]] = {
    "tee": (
        "100% organic cotton jersey, 180 gsm - not see-through.",
        "Machine wash cold, tumble dry low; pre-shrunk, so under 3% shrinkage.",
        "Size M is 71 cm long and 52 cm across the chest.",
    ),
    "hood": (
        "Organic cotton fleece, 380 gsm, brushed inside.",
        "Machine wash cold inside out, tumble dry low; pre-shrunk.",
        "Size M is 69 cm long and 58 cm across the chest.",
    ),
    "crew": (
        "80% cotton, 20% recycled polyester fleece.",
        "Machine wash cold, tumble dry low.",
        "Size M is 68 cm long and 57 cm across the chest.",
    ),
    "pkt": (
        "100% cotton heavyweight jersey, 240 gsm - fully opaque.",
        "Machine wash cold, hang dry; up to 3% shrinkage in a hot dryer.",
        "Size M is 72 cm long and 54 cm across the chest.",
    ),
    "jog": (
        "Cotton-blend fleece with an elastic waist and drawcord.",
        "Machine wash cold, tumble dry low.",
        "Size M has a 76 cm inside leg.",
    ),
    "lin": (
        "100% European linen, slightly sheer in white.",
        "Machine wash at 30C, hang dry; linen softens with washing.",
        "Size M is 74 cm long and 56 cm across the chest.",
    ),
    "waf": (
        "Cotton waffle knit.",
        "Machine wash cold, lay flat to dry.",
        "Size M is 70 cm long and 53 cm across the chest.",
    ),
    "mtn": (
        "100% organic cotton, water-based print.",
        "Machine wash cold inside out, don't iron the print.",
        "Size M is 71 cm long and 52 cm across the chest.",
    ),
    "sht": (
        "Cotton twill with 2% elastane.",
        "Machine wash cold, tumble dry low.",
        "Size M has a 18 cm inseam.",
    ),
    "zip": (
        "Cotton-blend fleece with a metal zip.",
        "Machine wash cold with the zip closed, tumble dry low.",
        "Size M is 70 cm long and 57 cm across the chest.",
    ),
    "tnk": ("95% cotton, 5% elastane rib - opaque.", "Machine wash cold, hang dry.", "Size M is 62 cm long."),
    "crd": (
        "100% cotton corduroy, 8 wale.",
        "Machine wash cold inside out, hang dry.",
        "Size M is 76 cm long and 58 cm across the chest.",
    ),
    "mug": (
        "Enamel-coated steel, lead-free.",
        "Hand wash; not for the microwave.",
        "It holds 350 ml and is 8 cm tall.",
    ),
    "stn": (
        "Glazed stoneware, lead-free.",
        "Dishwasher and microwave safe.",
        "It holds 400 ml and is 10 cm tall.",
    ),
    "cdl": (
        "Soy wax with a cotton wick, in a recycled glass jar.",
        "Trim the wick to 5 mm before each burn.",
        "The jar is 8 cm tall and burns for about 45 hours.",
    ),
    "tote": (
        "12 oz organic cotton canvas.",
        "Machine wash cold, hang dry; it may shrink up to 5%.",
        "It is 38 x 42 cm with 65 cm handles.",
    ),
    "sock": (
        "80% combed cotton, 18% nylon, 2% elastane.",
        "Machine wash warm, tumble dry low.",
        "One size fits US 6-11.",
    ),
    "cap": (
        "Washed cotton twill - not see-through.",
        "Spot clean or hand wash cold; don't machine wash.",
        "Adjustable strap, fits 54-60 cm heads.",
    ),
    "bean": (
        "100% merino wool rib knit.",
        "Hand wash cold and lay flat; it shrinks in hot water.",
        "One size, 21 cm tall unfolded.",
    ),
    "pin": (
        "Hard enamel on gold-plated iron, with a rubber clutch.",
        "Wipe clean with a dry cloth; not washable.",
        "It is 2.5 cm across.",
    ),
    "stk": (
        "Matte vinyl, waterproof and UV resistant.",
        "Wipe clean; they survive the dishwasher's top rack.",
        "Each sticker is 5-8 cm.",
    ),
    "prt": (
        "Giclee print on 230 gsm matte archival paper.",
        "Keep out of direct sunlight; frame behind glass.",
        "A3: 29.7 x 42 cm, unframed.",
    ),
    "nap": ("100% stonewashed linen.", "Machine wash at 40C, tumble dry low.", "Each napkin is 45 x 45 cm."),
    "blk": ("100% lambswool.", "Dry clean or hand wash cold; don't tumble dry.", "It is 130 x 180 cm."),
    "plt": (
        "Glazed ceramic with a drainage hole and saucer.",
        "Wipe clean.",
        "It is 15 cm wide and 14 cm tall.",
    ),
    "nbk": ("100 gsm dot-grid paper, 160 pages, linen-bound.", "Not washable.", "A5: 14.8 x 21 cm."),
    "btl": (
        "Double-walled 18/8 stainless steel.",
        "Hand wash; not dishwasher safe.",
        "It holds 500 ml and is 26 cm tall.",
    ),
    "key": (
        "Vegetable-tanned leather with a brass ring.",
        "Wipe clean; condition now and then.",
        "It is 10 cm long.",
    ),
    "cst": ("Natural cork, 5 mm thick.", "Wipe clean with a damp cloth.", "Each coaster is 10 cm across."),
    "pch": ("Recycled canvas with a YKK zip.", "Hand wash cold, hang dry.", "It is 22 x 14 cm."),
    "inc": (
        "Hand-rolled sticks of natural resins and bamboo.",
        "Keep dry.",
        "Each stick is 25 cm and burns for about 40 minutes.",
    ),
    "bkm": ("Solid brass.", "Polish with a soft cloth.", "It is 9 cm long."),
}
ASPECTS = ("material", "care", "measurements")


def _product_code(handle: str) -> str:
    """'cap2' -> 'cap', 'tdtee-tie-dye' -> 'tee', 'oldmug' -> 'mug': the product it is a line of."""
    code = handle.lower().rstrip("0123456789")
    if code.startswith("old"):
        code = code[3:]
    if code.startswith("td"):
        code = code[2:].split("-")[0]
    return code


def product_answers(handle: str) -> dict[str, str]:
    """The owner's answers about one product: {aspect: text}, empty for bundles."""
    facts = _PRODUCT_FACTS.get(_product_code(handle))
    return dict(zip(ASPECTS, facts, strict=True)) if facts else {}


def write_store_answers(connection: Connection, now: datetime) -> dict[str, str]:
    """Store every answer as a support policy setting; return them keyed like ``Policy.faq``."""
    faq = dict(STORE_ANSWERS)
    product = table_of(Product)
    for handle in connection.scalars(select(product.c.handle).order_by(product.c.id)):
        for aspect, text in product_answers(handle).items():
            faq[f"{aspect}.{handle.lower()}"] = text
    rows: list[dict[str, Any]] = [
        {"key": f"faq.{key}", "value": text, "updated_at": now, "updated_by": "owner"}
        for key, text in faq.items()
    ]
    connection.execute(insert(table_of(SupportPolicySetting)), rows)
    return faq


TEMPLATE_TOPICS: dict[str, tuple[str, ...]] = {
    "Do you offer express shipping?": ("express_shipping",),
    "And how long is express shipping?": ("express_shipping",),
    "Can you ship to a PO box?": ("po_boxes",),
    "How much is shipping to": ("shipping_cost",),
    "Do you have free shipping over a certain amount?": ("shipping_cost",),
    "Which carrier do you use": ("carriers",),
    "If I order today will it arrive before Christmas?": ("holiday_delivery",),
    "My discount code {code} isn't working.": ("discount_codes",),
    "I forgot to use my code {code}": ("discount_codes",),
    "The {code} code says it's expired": ("discount_codes",),
    "The 20% off didn't apply": ("discount_codes",),
    "Also, my discount code didn't work at checkout.": ("discount_codes",),
    "Do you offer a student discount?": ("promotions",),
    "Is there a discount for first orders?": ("promotions",),
    "do you have any promo codes at the moment?": ("promotions",),
    "Also is there a code for next time?": ("promotions",),
    "now it's on sale. Can I get the difference back?": ("price_adjustment",),
    "I can't log in to my account": ("password_reset",),
    "Also I can't log in to my account.": ("password_reset",),
    "How do I change the email address on my account?": ("account_details",),
    "I want to update my phone number on my account.": ("account_details",),
    "My card keeps getting declined at checkout": ("payment_declined",),
    "checkout keeps failing with my visa": ("payment_declined",),
    "Apple Pay isn't working on your site.": ("payment_declined",),
    "Do you do wholesale?": ("wholesale",),
    "putting together a gift guide": ("press",),
    "any part-time roles": ("jobs",),
    "physical store I can visit": ("shop_visits",),
    "feature your brand": ("collaborations",),
    "donating a gift card": ("donations",),
    "introduce our fabrics": ("suppliers",),
}
"""Which owner's answer each inbox wording asks for (the generator's own ground truth)."""
PRODUCT_TEMPLATE_ASPECTS: dict[str, str] = {
    "made of": "material",
    "machine washable": "care",
    "shrink in the wash": "care",
    "How long is the {product}?": "measurements",
}


def store_answer_facts(template: str, handle: str | None) -> dict[str, str]:
    """The ``faq_<topic>`` facts a question written from ``template`` must be answered with."""
    facts = {
        f"faq_{topic}": STORE_ANSWERS[topic]
        for start, topics in TEMPLATE_TOPICS.items()
        if start in template
        for topic in topics
    }
    if handle:
        answers = product_answers(handle)
        for words, aspect in PRODUCT_TEMPLATE_ASPECTS.items():
            if words in template and aspect in answers:
                facts[f"faq_{aspect}"] = answers[aspect]
    return facts
