"""Store knowledge the owner writes once: the answers the orders and the catalog cannot give.

"Do you ship to PO boxes?", "is it machine washable?", "my code doesn't work" are answered from
what the owner typed here, quoted word for word; a topic the owner has not filled in keeps going to
a person. Two kinds of entries, stored with the policy (one ``support_policy`` row each):

* ``faq.<topic>``: a store-wide answer, ``topic`` one of ``STORE_TOPICS``;
* ``faq.<aspect>.<product handle or category>``: what a product (or every product of a category)
  is made of, how to care for it, its measurements; ``aspect`` one of ``PRODUCT_ASPECTS``. A
  product's own entry wins over its category's.

Which topic a message asks about is read with plain-English patterns; a message asking about
something no pattern knows is not answered from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sasame.core.errors import InputError

STORE_TOPICS: dict[str, str] = {
    "express_shipping": "faster shipping options, their prices and times",
    "po_boxes": "whether parcels can go to PO boxes",
    "shipping_cost": "what shipping costs, free-shipping thresholds",
    "carriers": "which carriers the store uses",
    "holiday_delivery": "the last day to order for holiday delivery",
    "discount_codes": "how discount codes work (one per order, expiry, after checkout)",
    "promotions": "current offers, first-order and student discounts",
    "price_adjustment": "whether a later sale price is refunded",
    "password_reset": "log-in and password help",
    "account_details": "how to change the e-mail, phone or address of an account",
    "payment_declined": "what to do when a card or wallet is refused at checkout",
    "wholesale": "business mail: whether and how shops can buy wholesale (line sheet, minimums)",
    "press": "business mail: press and gift-guide requests (images, prices, samples)",
    "jobs": "business mail: job applications and open roles",
    "shop_visits": "business mail: whether there is a shop or showroom to visit",
    "collaborations": "business mail: bloggers' and creators' collaboration offers",
    "donations": "business mail: requests to donate products or gift cards",
    "suppliers": "business mail: suppliers and manufacturers introducing themselves",
}
"""Store-wide topics an owner can answer once (``faq.<topic>``), with what each is for."""
PRODUCT_ASPECTS: dict[str, str] = {
    "material": "what it is made of",
    "care": "washing and care",
    "measurements": "its size and measurements",
}
"""Per product or category (``faq.<aspect>.<handle or category>``)."""
MAX_ANSWER_CHARACTERS = 500

# Customers type fast: "shiping", "shippng", "wich carrier", "Appple Pay", "Applle Pay", "how muh",
# "fre shipping", "diddn't aply".
_SHIPPING = r"sh?ip{1,2}i?n?g"
WALLETS = r"ap{1,3}l{1,2}e ?pay|goo?gle ?pay|pay ?pal|shop ?pay|klarna"
"""The payment wallets customers name at checkout, as they type them."""
_WHICH = r"wh?i?ch|whcih|what"
CODE_WORDS = r"code|coode|coed|cdoe|ocde|cde"
"""'Code' as customers type it."""
_MUCH = r"(much|muh|mch|mcuh|muc)"
_PROMO = r"(pro+mo+|proo+m?|prmo|pormo)"
"""'Promo' as customers type it: "proo codes", "proom codes", "prmo coodes"."""
_DIDNT = r"did+n'?t|dind'?t|didint"
_CHRISTMAS = r"(ch+r|cr)[a-z]{0,4}m[a-z]{0,2}s\b|xmas"
"""Christmas as typed: 'chritsmas', 'chhristmas', 'christams', 'cristmas', 'xmas'."""
_APPLY = r"ap+l+y"
_FREE = r"(free|fre|fere)"
TOPIC_PATTERNS: dict[str, re.Pattern[str]] = {
    "express_shipping": re.compile(
        r"express|next[- ]day|overnight|expedited|faster shipping|priority shipping", re.IGNORECASE
    ),
    "po_boxes": re.compile(r"\bp\.?\s?o\.?\s?box|post office box", re.IGNORECASE),
    "shipping_cost": re.compile(
        rf"how {_MUCH} (is|does|will) (the )?({_SHIPPING}|delivery|postage)|"
        rf"{_SHIPPING} (cost|fee|price|rate)s?|"
        rf"(cost|price) of ({_SHIPPING}|delivery|postage)|{_FREE} ({_SHIPPING}|delivery)",
        re.IGNORECASE,
    ),
    "carriers": re.compile(
        rf"({_WHICH}) (c\w{{0,3}}r+i?er|courier|{_SHIPPING} company|delivery company)", re.IGNORECASE
    ),
    "holiday_delivery": re.compile(
        rf"before ({_CHRISTMAS}|the holidays|hanukkah|new year)|in time for ({_CHRISTMAS}|the holidays)",
        re.IGNORECASE,
    ),
    "discount_codes": re.compile(
        rf"({CODE_WORDS}|coupon|voucher)\b.{{0,40}}\b(not working|isn'?t working|doesn'?t work|"
        rf"({_DIDNT}) work|expired|invalid|won'?t {_APPLY}|({_DIDNT}) {_APPLY})|"
        rf"forgot to (use|{_APPLY}|enter) (my |the |a )?({CODE_WORDS}|coupon|discount)|"
        rf"(% off|discount|{CODE_WORDS})\b.{{0,20}}\b({_DIDNT}) {_APPLY}|"
        rf"{_APPLY} (it|the {CODE_WORDS}|my {CODE_WORDS}) (to|on)",
        re.IGNORECASE,
    ),
    "promotions": re.compile(
        rf"(any|some) ({_PROMO}|discount|coupon)( codes?)?\b|student discount|discount for (first|new)|"
        rf"first[- ]order (discount|{CODE_WORDS})|({_PROMO}|discount) ({CODE_WORDS})s? at the moment|"
        r"any (offers|sales) on|"
        rf"({CODE_WORDS}) for (next time|my next order)|"
        rf"\b(is|are) th\w{{1,3}} (a |any )?(discount|promo|coupon|{CODE_WORDS})",
        re.IGNORECASE,
    ),
    "price_adjustment": re.compile(
        r"(now|gone|went) on sale|price (adjustment|match|drop)|difference back",
        re.IGNORECASE,
    ),
    "password_reset": re.compile(r"log ?in|sign ?in|password|locked out", re.IGNORECASE),
    "account_details": re.compile(
        r"(change|update|edit) (the |my )?(e-?mail|phone|phone number|name|details)( address)?"
        r"( on| for| in)? (my )?account|(e-?mail|phone number) on my account",
        re.IGNORECASE,
    ),
    "payment_declined": re.compile(
        r"decl\w{0,2}ned|che\w{0,3}kout keeps fai\w{0,4}|payment (keeps )?fail|"
        r"card (was |keeps being )?refused|"
        rf"({WALLETS})\b.{{0,20}}\b(isn'?t|not|doesn'?t|won'?t) work",
        re.IGNORECASE,
    ),
}
"""The store topics a message asks about, in plain English (shared by every store)."""
BUSINESS_TOPIC_PATTERNS: dict[str, re.Pattern[str]] = {
    "wholesale": re.compile(
        r"\bwholesale|line ?sheet|\bstockists?\b|\b(stock|carry|sell) your (products|brand|range|line)\b|"
        r"\b(trade|retailer|reseller) (account|pricing|prices)",
        re.IGNORECASE,
    ),
    "press": re.compile(
        r"\bpress (request|inquiry|enquiry|kit)|gift guide|\bjournalist\b|\b(writer|editor) (at|for)\b|"
        r"high[- ]res(olution)? (images|photos|pictures)",
        re.IGNORECASE,
    ),
    "jobs": re.compile(
        r"\bjob (application|opening|opportunit\w*)|\b(apply|applying) for a (job|role|position)\b|"
        r"\b(vacanc\w+|internships?|apprenticeships?)\b|\b(looking for|any) (work|jobs?)\b|"
        r"\b(part|full)[- ]time (roles?|jobs?|positions?|work)\b|\b(open|any) (roles|positions)\b|"
        r"\b(are you|you're) hiring\b|\bmy (cv|resume|résumé)\b",
        re.IGNORECASE,
    ),
    "shop_visits": re.compile(
        r"\bphysical (store|shop|location)|\b(visit|come to|come by) (your|the) (store|shop|showroom|studio)|"
        r"\bbrick[- ]and[- ]mortar|\bshowroom\b|\b(store|shop) (i|we) can visit",
        re.IGNORECASE,
    ),
    "collaborations": re.compile(
        r"\bcollab(oration|orate)?\b|\bfeature your (brand|products|shop|store)\b|"
        r"\b(sponsored|paid) (post|partnership)|\bbrand ambassador",
        re.IGNORECASE,
    ),
    "donations": re.compile(
        r"\bdonat(e|ing|ion)\b|\braffle\b|\bfundrais\w*|\bsilent auction\b|\bcharity (event|auction)",
        re.IGNORECASE,
    ),
    "suppliers": re.compile(
        r"\bintroduce (our|my) (company|factory|fabrics?|products|services|materials)|"
        r"\b(we are|we're) a (certified |leading )?\w*\s?(mill|factory|manufacturer|supplier)\b|"
        r"\bsend (you )?samples to your",
        re.IGNORECASE,
    ),
}
"""The business-mail topics, read only in mail that asks no customer question: "do you do
wholesale?", "part-time roles", "a charity raffle"."""
BUSINESS_TOPICS = tuple(BUSINESS_TOPIC_PATTERNS)
"""The topics of mail that is not from a customer about a purchase (read as ``other``): answered
only from what the owner wrote, and only when the message asks nothing else."""
ASPECT_PATTERNS: dict[str, re.Pattern[str]] = {
    "material": re.compile(
        r"made (of|from|out of)|material|fabric|see[- ]through|sheer|what is it made|vegan|lead[- ]free",
        re.IGNORECASE,
    ),
    "care": re.compile(
        r"wa+s+h|wahs|shrink|dry[- ]?clean|tumble|\biron\b|care (for|instructions)|dishwasher|microwave",
        re.IGNORECASE,
    ),
    "measurements": re.compile(
        r"how (l\w{2,3}|big|wide|tall|large) is|measurements?|dimensions|length of|"
        r"how many (ml|oz|cm|inches)",
        re.IGNORECASE,
    ),
}
"""The product aspects a product question asks about."""
KEY_CHARACTERS = 60
"""The width of ``support_policy.key``."""


def parse_knowledge_key(key: str) -> tuple[str, str | None]:
    """Return (topic or aspect, product handle/category or None) for a ``faq.`` key, or refuse it."""
    rest = key.removeprefix("faq.")
    if rest in STORE_TOPICS:
        return rest, None
    aspect, _, target = rest.partition(".")
    if aspect in PRODUCT_ASPECTS and target.strip():
        if len(key) > KEY_CHARACTERS:
            raise InputError(f"support policy {key}: longer than {KEY_CHARACTERS} characters")
        return aspect, target.strip().lower()
    known = [f"faq.{t}" for t in STORE_TOPICS] + [
        f"faq.{a}.<product handle or category>" for a in PRODUCT_ASPECTS
    ]
    raise InputError(f"support policy {key}: unknown store answer (known: {', '.join(known)})")


def parse_answer(key: str, text: str) -> str:
    value = " ".join(text.split())
    if len(value) > MAX_ANSWER_CHARACTERS:
        raise InputError(f"support policy {key}: longer than {MAX_ANSWER_CHARACTERS} characters")
    return value


def asked_topics(text: str) -> list[str]:
    """The customers' store-wide topics a message asks about, in ``STORE_TOPICS`` order."""
    return [topic for topic, pattern in TOPIC_PATTERNS.items() if pattern.search(text)]


def asked_business_topics(text: str) -> list[str]:
    """The business-mail topics a message is about, in ``BUSINESS_TOPICS`` order."""
    return [topic for topic, pattern in BUSINESS_TOPIC_PATTERNS.items() if pattern.search(text)]


def asked_aspects(text: str) -> list[str]:
    """The product aspects a message asks about, in ``PRODUCT_ASPECTS`` order."""
    return [aspect for aspect, pattern in ASPECT_PATTERNS.items() if pattern.search(text)]


def product_answer(faq: Mapping[str, str], aspect: str, handle: str, category: str | None) -> str | None:
    """The owner's answer about one aspect of a product: its own entry, else its category's."""
    for target in (handle, category):
        if target:
            answer = faq.get(f"{aspect}.{target.lower()}")
            if answer:
                return answer
    return None
