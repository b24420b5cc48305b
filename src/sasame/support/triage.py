"""Triage one customer message: understand it, find what it is about, answer from live data, decide.

The decision is the least autonomous of what every check allows (precision before coverage):

* ``escalate``: a person must handle it: wrong/damaged items and complaints (always), an
  always-escalate word, out-of-scope or very unsure understanding, an intent the owner set to
  ``off``, a parcel in trouble (carrier exception, returned to sender);
* ``draft``: the engine has an answer but a person approves it: the owner's policy says draft,
  the confidence is below the automatic threshold, the order could not be pinned down or
  belongs to someone else, the order is worth more than the automatic limit, a VIP writes, the
  message asks a second thing the answer does not cover, or the question is one the store's data
  cannot fully answer;
* ``auto``: everything above passed; the reply and actions go out on their own.

Nothing here writes: the result lists the planned actions; ``service.apply_triage`` performs them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from statistics import median
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sasame import models as m
from sasame.business.service import store_settings
from sasame.core.clock import business_day, ensure_utc, zone
from sasame.support import knowledge, queries
from sasame.support.policy import ALWAYS_HUMAN, Policy
from sasame.support.queries import LineFacts, OrderFacts
from sasame.support.replies import (
    Reply,
    carrier_name,
    day_text,
    instant_fact,
    money_fact,
    money_text,
    render,
    short_day_text,
)
from sasame.support.understanding import Catalog, CatalogMention, Understanding, email_address, understand
from sasame.support.understanding.entities import sentiment, sizes_in
from sasame.support.understanding.intents import earlier_ask, shipped_model
from sasame.support.understanding.text import SENTENCE_END, clean_subject, without_courtesy

RANK = {"auto": 0, "draft": 1, "escalate": 2}
TROUBLE_STATUSES = {"exception", "returned_to_sender"}
ORDER_INTENTS = {
    "order_status",
    "return_request",
    "exchange_request",
    "change_order",
    "cancel_order",
    "change_address",
    "wrong_item",
    "damaged_item",
    "refund_status",
}
"""Intents that cannot be answered without knowing the order."""
LABEL_LINK = "<label link>"
"""Stands for the label's address in a reply until the label is bought (when the reply is sent)."""
RECENT_ORDER_DAYS = 90
ORDER_NAMED_ONLY = frozenset({"payment_issue", "discount_question"})
LATELY_DAYS = 35
"""A payment or code question naming no order may be about one of the sender's orders this recent."""
HUMAN_INTENT_PLAUSIBLE = 0.10
"""A wrong/damaged item or complaint this probable, when the model is unsure, goes to a person."""
BULK_MIN_CHARACTERS = 60
"""A text sent again word for word counts as bulk mail only when it is this long ("Thanks!" is not)."""
SPAM_CLOSE_CONFIDENCE = 0.98
"""Spam is closed with no reply and nobody reads it: a real message misread as spam (a press
request, a supplier) would be lost without trace, whereas a wrong reply at least reaches a person
who can answer it. So closing alone takes a higher bar than the policy's bar for replies."""
UPSET_SENTIMENT = -0.15
HAPPY_SENTIMENT = 0.3
ANY_ASK = re.compile(
    r"\?|\b(please|pls|plz|(can|could|would|will|do|does|did|is|are|have|has)\s+(you|u|it|this|that|"
    r"they|there|i|we)|how|when|where|what|why|which|who|want|need|i'?d like|would like|wonder\w*|"
    r"question|help|issue|problem|let me know|if|send|return|exchange|refund|cancel|change|swap|"
    r"instead|still|yet|but|though|however|except|only|not|no|never|nothing|"
    r"(do|does|did|is|are|was|were|has|have|had|ca|can|could|would|should|wo|ai)n'?t)\b",
    re.IGNORECASE,
)
"""Anything that asks, wants, qualifies or denies: a message without any of it says something, no more."""
SPEAKS_OF_ITSELF = re.compile(
    r"\b(i|i'm|im|i've|ive|my|me|mine|we|our|us|you|your|you're|u)\b", re.IGNORECASE
)
"""A customer telling of their own purchase or to us; "best whey for lean body" is a search query."""
REFERENCE_ONLY = re.compile(
    r"(order|ref|reference)( number| no\.?)?\s*(#\s*)?:?\s*#?\s*[\w-]*\d[\w-]*|"  # "Order number: 1234"
    r"(?-i:[-\u2013\u2014]+\s*[A-Z][\w.'-]*( [A-Z][\w.'-]*){0,2})",  # a sign-off: "- Yuki Patel"
    re.IGNORECASE,
)
"""A line that only names the order or signs off: it says nothing, kind or unkind."""
NOT_RECEIVED = re.compile(
    r"where|not (yet )?(arrived|received|here|come)|hasn'?t|haven'?t|didn'?t|never|missing|can'?t find|"
    r"cannot find|lost|stolen|no sign|track|status|says delivered|marked (as )?delivered|still waiting",
    re.IGNORECASE,
)
"""Sentiment (-1..1) at or below which a customer reads as upset."""
LATE_UNSHIPPED_DAYS = 7
SIZE_ORDER = ("XXS", "XS", "S", "M", "L", "XL", "XXL", "3XL")
OPEN_RETURN_STATUSES = frozenset({"requested", "approved", "in_transit"})
FIT_MIN_SOLD = 30
FIT_SIGNAL_SHARE = 0.02
"""Fit advice needs this many units sold, and a fit-return share this high to call a lean."""
SIZING = re.compile(
    r"runs? (small|large|big)|true to size|which size|what size|size (up|down)|recommend|between sizes|"
    r"\b(xxs|xs|s|m|l|xl|xxl) or (xxs|xs|s|m|l|xl|xxl)\b",
    re.IGNORECASE,
)
AMBIGUOUS_SCORE_GAP = 0.05
"""Catalog matches this close to the best one could be what the customer means."""
CHASER_CHARACTERS = 160
"""A follow-up this short (after quotes and signature are removed) adds nothing to the ask."""
AMAZON_RELAY = "marketplace.amazon.com"

COUNTRIES = {
    "united states": "US",
    "usa": "US",
    "us": "US",
    "america": "US",
    "canada": "CA",
    "uk": "GB",
    "the uk": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "britain": "GB",
    "great britain": "GB",
    "australia": "AU",
    "new zealand": "NZ",
    "germany": "DE",
    "ireland": "IE",
    "mexico": "MX",
    "france": "FR",
    "netherlands": "NL",
    "the netherlands": "NL",
    "holland": "NL",
    "japan": "JP",
    "spain": "ES",
    "italy": "IT",
    "sweden": "SE",
    "norway": "NO",
    "denmark": "DK",
    "belgium": "BE",
    "switzerland": "CH",
    "austria": "AT",
    "portugal": "PT",
    "poland": "PL",
    "brazil": "BR",
    "india": "IN",
    "china": "CN",
    "singapore": "SG",
    "south africa": "ZA",
    "israel": "IL",
}
COUNTRY_NAMES = {
    "US": "the US",
    "CA": "Canada",
    "GB": "the UK",
    "AU": "Australia",
    "NZ": "New Zealand",
    "DE": "Germany",
    "IE": "Ireland",
    "MX": "Mexico",
    "FR": "France",
    "NL": "the Netherlands",
    "JP": "Japan",
}
_COUNTRY_PATTERN = re.compile(
    r"\b(" + "|".join(sorted((re.escape(c) for c in COUNTRIES if c != "us"), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
ADDRESS_PATTERN = re.compile(
    r"(\d{1,6}\s+(?:[A-Za-z0-9.'-]+\s+){0,5}[A-Za-z0-9.'-]+"
    r"(?:,?\s*(?:Unit|Suite|Ste\.?|Apt\.?|Apartment|#)\s*[A-Za-z0-9-]+)?"
    r",\s*[A-Za-z .'-]{2,40},\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)\b"
)
"""A US street address on one line: '27 Elm Court, Madison, WI 53703', '930 Pine Street, Suite 210,
Seattle, WA 98101', '2200 Ocean Ave #4, Santa Monica, CA 90405'."""
HOUSE_NUMBER = re.compile(r"\b\d{1,6}\s")


def find_address(text: str) -> str | None:
    """The street address in a message: of the candidates, the one starting last (the shortest), so
    'order 14647 to 6 Birch Lane, ...' gives '6 Birch Lane, ...'."""
    found = None
    for start in HOUSE_NUMBER.finditer(text):
        match = ADDRESS_PATTERN.match(text, start.start())
        if match:
            found = match.group(1).strip()
    return found


UNANSWERABLE_SHIPPING = re.compile(
    r"express|po box|p\.o\.|free shipping|christmas|by friday|how mu\w{0,3}\b|cost|price|carrier|"
    r"which courier",
    re.IGNORECASE,
)
SHIPPING_TOPICS = ("express_shipping", "po_boxes", "shipping_cost", "carriers", "holiday_delivery")
DISCOUNT_TOPICS = ("discount_codes", "promotions", "price_adjustment")
ACCOUNT_TOPICS = ("password_reset", "account_details")
PAYMENT_TOPICS = ("payment_declined",)
TOPIC_INTENTS = {
    topic: intent
    for intent, topics in (
        ("shipping_question", SHIPPING_TOPICS),
        ("discount_question", DISCOUNT_TOPICS),
        ("account", ACCOUNT_TOPICS),
        ("payment_issue", PAYMENT_TOPICS),
    )
    for topic in topics
}
"""The intent whose answer quotes each store topic's answer."""
ORDER_FREE_TOPICS = frozenset({"promotions"})
"""Store questions that are about no placed order: the current offers. (A payment refused at
checkout is not one: the customer who then paid another way may well be asking about that order.)"""
PLACED_ORDER_TALK = re.compile(
    r"\b(my|the|an?|this|that|last|recent) (order|purchase|parcel|package)\b|#\s?\d|"
    r"\b(charged|charge|pending|paid|bought|ordered|purchased|receipt|confirmation|refund\w*|twice|difference|apply|applied)\b",
    re.IGNORECASE,
)
"""Words of an order already placed ("I was charged", "my order", "can you apply it?"): then a
general answer from the store's answers may miss what the customer means."""
WHEREABOUTS = re.compile(
    r"wh\w{0,3}re|when|check|haven'?t (got|had)|week|arriv|track|status|ship|deliver|receiv|update|"
    r"still|yet|wait|\beta\b|late|lost|missing|coming|come|here\b|dispatch|sent|post|news|progress|"
    r"how long|days|\bstil|s+t+a*t+u*s|h\w?ve?n'?t|\bparcel\b|\bpackage\b",
    re.IGNORECASE,
)
"""Words of a message that really asks where its parcel is (typos like 'whree' included)."""
WHERE_IS_ORDER = re.compile(
    r"\bwh\w{0,3}re\b[^.?!\n]{0,40}\b(order|parcel|package)|"
    r"\b(order|parcel|package)\b[^.?!\n]{0,40}\b(hasn'?t|has not|not yet|never) (arrived|come|shown up)|"
    r"\b(will|when)\b[^.?!\n]{0,40}\b(order|parcel|package|it)\b"
    r"[^.?!\n]{0,20}\b(ar+i\w{0,4}|get here|be here)\b",
    re.IGNORECASE,
)
"""A 'where is my order?' inside a message read as something else (a second ask the model missed),
'will order 1234 arrive in time?' (or 'arrie') too."""
_IN_SENTENCE = r"(?:[^.?!\n]|\.(?=\s?\d))"
"""A character of the same sentence: "Mug No. 2" and "order no. 1234" end none."""
ASK_CUES: dict[str, re.Pattern[str]] = {
    "refund_status": re.compile(
        r"\bwh\w{0,3}re('?s| is) (my|the) ref\w{0,3}d\b|"
        r"\bwhen (will|do|can|should|would) (i|we) (get|receive|see|be getting) (my|the|a) ref\w{0,3}d|"
        r"\bwhen (will|would) the ref\w{0,3}d|"
        r"\bref\w{0,3}d\b[^.?!\n]{0,30}\b(went through|gone through|been (processed|issued|sent))|"
        r"\b(got|received|receive|get) my return\b|"
        rf"\bmy return\b{_IN_SENTENCE}{{0,60}}\b(been )?(received|arrived)|"
        r"\b(no|still no) ref\w{0,3}d yet\b|\bstill no ref\w{0,3}d\b|"
        r"\b(haven'?t|have not|still not|not yet) (had|got|gotten|received|seen) "
        r"(a |my |the |any )?ref\w{0,3}d\b",
        re.IGNORECASE,
    ),
    "order_status": re.compile(
        r"\bwh\w{0,3}re('?s| is) my (order|parcel|package)\b|\bwhere my (order|parcel|package) is\b|"
        r"\bany update on (my |the )?([\w-]+ ){0,3}(order|parcel|package)|"
        r"\bwhen (will|can i expect) my (order|parcel|package)|"
        r"\bwill (my|the) ((recent|last|latest) )?(order|parcel|package) arrive\b|"
        r"\bhas my ((recent|last|latest) )?(order|parcel|package) "
        r"(shipped|been shipped|been sent|gone out|left)\b|"
        r"\b(was|were) supposed to (arrive|be here|be delivered)\b",
        re.IGNORECASE,
    ),
    "return_request": re.compile(
        r"\b(i'?d like|i want|i need|how (do|can) i) (to )?(return|send back)\b|\breturn process\b",
        re.IGNORECASE,
    ),
    "change_order": re.compile(
        r"\b(i'?d like to|can i|could you|please) add (another|one more|a|an)\b|"
        r"\bchange the (size|colou?r) to\b|\b(too late to )?change my order\b|"
        r"\b(can|could|would) (you|u) (please )?(change|switch|swap) (the|my|it)\b"
        # "switch the Mug No. 2 in my order to oat"; "change it to 930 Pine Street" is an address
        rf"{_IN_SENTENCE}{{0,60}} to (an? )?(?!\d)[\w-]+",
        re.IGNORECASE,
    ),
    "cancel_order": re.compile(
        r"\bcancel (my |the |this )?(recent )?order\b|\bplease cancel\b", re.IGNORECASE
    ),
    "exchange_request": re.compile(
        r"\b(can i|i'?d like to|i want to|i need to|i'?d love to) (swap|swp|exchange)\b"
        rf"{_IN_SENTENCE}{{0,60}}\bfor (a|an|the)\b|"
        r"\bhow does an exchange work\b|"
        # "Could you send me an L instead of the M I got?": the one they have for another
        rf"\bsend me (a|an|the) {_IN_SENTENCE}{{1,30}}\binstead of (the|my) {_IN_SENTENCE}{{1,30}}"
        r"\bi (got|received|have)\b",
        re.IGNORECASE,
    ),
    "praise": re.compile(
        r"\bthank you (so much )?for the (quick|fast|speedy) (delivery|shipping)\b|"
        r"\bquality is (amazing|excellent|fantastic|great|lovely|superb)\b|"
        r"\bbest [\w -]{2,30} i'?ve ever (owned|had|bought)\b|\bobsessed with\b",
        re.IGNORECASE,
    ),
    "product_question": re.compile(
        r"\bdo you still (make|sell|stock|carry|have)\b|\bwhen will [\w -]{2,40} be back( in stock)?\b|"
        # "would you recommend S or M in the Waffle Long Sleeve?"
        r"\bwould you recommend (an? )?(xxs|xs|s|m|l|xl|xxl) or (an? )?(xxs|xs|s|m|l|xl|xxl)\b",
        re.IGNORECASE,
    ),
    "change_address": re.compile(
        r"\b(change|update|correct)\b[^.?!\n]{0,20}\b(delivery|shipping) address\b|"
        r"\b(send|ship|deliver|redirect)\b[^.?!\n]{0,40}\bto \d{1,5}\s+[a-z][^.?!\n]{0,60}\binstead\b",
        re.IGNORECASE,
    ),
    "spam": re.compile(
        r"\bguest posts?\b|\bdo-?follow\b|\bbacklinks?\b|\bfirst page of google\b|"
        r"\b(increase|boost|double|triple) your (sales|traffic|revenue)\b|\bhigh-converting\b|"
        r"\b(verified|targeted) (e-?mail )?list of\b|\bb2b leads\b|"
        # an influencer's pitch: "I'd promote your products to my audience in exchange for ..."
        r"\bpromote your (products?|brand|shop|store) to my (audience|followers)\b|"
        r"\bin exchange for (free )?(products?|items?|goods)\b",
        re.IGNORECASE,
    ),
    "payment_issue": re.compile(
        r"\bcharged twice\b|\btwo charges\b|\bdouble[- ]charged\b|"
        r"\bpayment (is |shows as |still )?pending\b|"
        rf"\b({knowledge.WALLETS})\b[^.?!\n]{{0,20}}"
        r"\b(isn'?t|is not|doesn'?t|won'?t) work|"
        r"\bcard (keeps )?(getting |being )?(declined|refused)\b|\bcheckout keeps failing\b",
        re.IGNORECASE,
    ),
}
"""The plainest ways customers ask each of these ("where is my refund?", "do you still make ...?",
"I was charged twice", "please change the delivery address"). When one ask's cue (and no other's)
is in the message and the model counts that ask among its top readings, the cue is evidence for
it (``ASK_CUE_LIKELIHOOD_RATIO``, ``_with_ask_cue``). It never clears what only lowers autonomy:
a second ask, a wrong item or complaint the model alone finds plausible, fault words, an upset
customer."""
ASK_CUE_LIKELIHOOD_RATIO = 10.0
"""How much likelier the cue is in a message of its intent than in one of another: a prior, not
fitted, and conservative. (In the three demo inboxes read while writing the cues, 1,460 messages,
they fired 491 times, and in the 261 held-out real HINT3 queries 9 times, each time on a message
of their own intent.)"""
FAULT_WORDS = re.compile(
    r"\b(broke|broken|cracked|cracks?|smashed|shattered|dented|torn|tear|ripped|stain(ed|s)?|"
    r"leak(ed|ing|s)?|scratch(ed|es)?|chipped|faulty|defect(ive)?|damaged?|stopped working|"
    r"fell apart|falling apart|came apart|came loose|fell off|crushed|frayed|unravell?ed|"
    r"shrunk|shrank)\b|"
    r"(sent|received|got) (me )?(the |a )?wrong\b|not what i ordered|"
    r"\b(got|received|recieved|was sent|were sent|been sent|sent me|there'?s|there is)\b"
    r"[^.?!\n]{0,50}\binstead\b",
    re.IGNORECASE,
)
"""Words of a damaged, faulty or wrong item: the model's reading of the rest notwithstanding
("I received the mug today but it has a big tear along the seam" read as order status at 0.90).
"I got a pink cap instead of navy" is a wrong item, though its words are an exchange's; an
exchange asks in the present ("could you send me an L instead of the M I got")."""
COMPLAINT_WORDS = re.compile(
    r"\b(manager|supervisor)\b|\bcomplain(t|ts|ing)?\b|not what i expected|not as (described|pictured)|"
    r"nothing like the (photos?|pictures?|description|website)|"
    r"\b(poor|bad|cheap|terrible|awful|low)[- ]quality|"
    r"quality\b.{0,30}\b(is|was) (not|poor|bad|terrible|awful)|"
    r"\b(nobody|no one|no-one) (seems to |even )?cares?\b|\bi expected (better|more)\b",
    re.IGNORECASE,
)
"""A complaint in so many words ("please pass this on to a manager", "the quality ... is not what I
expected for the price", "looks nothing like the photos" under the subject "Complaint") read as a
return or a product question."""
STATE_BOUND = frozenset(
    {"order_status", "return_request", "exchange_request", "cancel_order", "change_order", "change_address",
     "refund_status"}
)  # fmt: skip
"""Intents that only make sense for an order in some states (``_state_fits``)."""
STATE_MISFIT_LIKELIHOOD = 0.1
STATE_ORDERS = 10
STATE_NOTE_CHANGE = 0.05
"""The orders' states move the confidence (and say so in the reasons) only by at least this much."""
"""The sender's most recent orders looked at when the message names none."""
"""How much less likely a message of an intent is about an order whose state does not fit it."""
_URL = re.compile(r"\bhttps?://([^\s/?#<>\"')]+)([^\s<>\"')]*)", re.IGNORECASE)
_DANGEROUS_DOWNLOAD = re.compile(r"\.(zip|rar|7z|gz|exe|scr|msi|bat|cmd|js|jar|vbs|iso|img|docm|xlsm)$")
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "ne", "or"})
IMITATED_BRANDS = frozenset(
    {
        "amazon", "paypal", "apple", "icloud", "shopify", "etsy", "ebay", "google", "microsoft",
        "outlook", "office365", "stripe", "square", "fedex", "ups", "usps", "dhl", "facebook",
        "instagram", "meta", "tiktok", "woocommerce", "wordpress", "klarna", "afterpay", "visa",
        "mastercard", "amex", "chase", "wellsfargo", "bankofamerica",
    }
)  # fmt: skip
"""Names phishing borrows most: marketplaces, payment, carriers, mail and social platforms."""
WHEREABOUTS_ASK = re.compile(
    r"\bwh\w{0,3}re'?s?\b|\bwhen\b|\bany (update|news)|let me know|tell me|\b(can|could) (you|u)\b|\bcheck|"
    r"look into|find out|\bstatus\b|\btrack|\bwill\b[^.?!\n]{0,40}\b(arriv|get here|be here)|"
    r"\b(has|have|did|is|was)\b[^.?!\n]{0,40}"
    r"\b(ship|arriv|left|sent|dispatch|on (its|the) way|coming|moving)\w*[^.!\n]*\?",
    re.IGNORECASE,
)
"""An actual question about the parcel ("where is it?", "any update?", "has it shipped yet?"), as
against a complaint about the wait that asks nothing ("I'm really unhappy with how long my order is
taking. It's been 4 days!")."""
READING_SUBJECTS: dict[str, re.Pattern[str]] = {
    "discount_question": re.compile(
        rf"\b({knowledge.CODE_WORDS}|coupon|voucher|discount|promo|sale|deal|offer|price|cheaper)\w*|%",
        re.IGNORECASE,
    ),
}
"""What a message read as the intent cannot help naming: a discount question names a code, a
discount, a sale or a price (typed fast: 'coed')."""
HYPOTHETICAL_ORDER = re.compile(r"\bif (i|we|you) (order|place|buy|purchase|get)\w*\b", re.IGNORECASE)
"""An order not placed yet ("If I order today will it arrive before Christmas?"): a shipping
question, not a parcel to look for."""
ORDER_CHANGES = frozenset({"cancel_order", "change_order", "change_address"})
ITEM_CHANGE = re.compile(
    r"\b(instead|swap|switch|exchange|add|remove|quantity|another|extra|size|colou?r|variant)\b",
    re.IGNORECASE,
)
"""Words of a change to the items of an order (not to where it goes)."""
CARRIER_DELAY = re.compile(r"\bdelay", re.IGNORECASE)
CARRIER_TROUBLE = re.compile(
    r"damag|lost|missing|address|undeliver|attempt|refus|return|held\b|hold\b|custom|unclaim|dispos|"
    r"missort|mis-sort|incorrect|insufficient|unable|fail|destroy|stolen|theft|seiz|recall",
    re.IGNORECASE,
)
"""A carrier's exception event that reports a delay and nothing worse (see ``_parcel_trouble``)."""
STUCK_DELAY_DAYS = 7
"""A delayed parcel this many days past its expected day (or without a scan this long) is stuck."""
SERVICE_COMPLAINT = re.compile(
    r"\b(no+ ?bo+d+y|no one|no-one|noone)\b|\bignor(ed|ing)\b|\bcustomer serv\w*|"
    r"\b(no|any) (reply|replies|response|answer)\b|"
    r"still waiting (for|on) (a |an |your )?(reply|response|answer)|"
    r"\b(second|2nd|third|3rd|fourth|4th|several|many|\d+) (time|times|emails?)\b[^.?!\n]{0,25}"
    r"\b(writ|ask|email|contact|chas|messag)|\b(keep|kept) (writing|emailing|asking|chasing)",
    re.IGNORECASE,
)
"""A complaint about being ignored or about the service itself ("Nobody has answered my last
email", "This is the third time I'm writing", "Your customer service is awful"): beyond the parcel."""
COMPENSATION_ASK = re.compile(
    r"\b(refund\w*|money back|compensat\w*|reimburs\w*|make (it|this|up)|discount|voucher|credit|"
    r"goodwill|waive\w*|free (shipping|delivery)|shipping (cost|fee|charge)s? back|partial)\b|"
    r"\bcan\w?cel+",
    re.IGNORECASE,
)
"""Something asked for besides the parcel's whereabouts (a refund, compensation, a cancellation)."""
CHANGE_NOT_EXCHANGE = re.compile(r"\bchange (my|the|this) (order|parcel|package)\b", re.IGNORECASE)
"""A change asked of the order itself ("can I change my order?"), not of an item received."""
EXCHANGE_WORDS = re.compile(r"\b(exchange|swap|return|send (it|them) back|replace)\w*", re.IGNORECASE)
_ASKED_VALUE = re.compile(
    r"\b(?:to|for|into|(?:need|want) (?:it|one|them) in) (?:(?:an?|the) )?(?:size )?((?:extra )?[\w-]+)"
)
"""The word after "to", "for", "into" or "need it in" ("switch it to charcoal", "swap it for an L",
"exchange it for a size L", "I love the mug but need it in oat", "change it to extra large"): the
colour or size asked for, when it is one the message names."""


def _asked_values(text: str) -> set[str]:
    """The lowercase words `_ASKED_VALUE` finds in `text`: what a change or exchange asks for."""
    return {match.group(1) for match in _ASKED_VALUE.finditer(text.lower())}


JUST_ORDERED = re.compile(
    r"\b(only|just) (ordered|placed|bought)\b|"
    r"\bordered (it |this )?(a few |some )?(minutes|moments|an hour) ago\b|\bbefore it ships\b|"
    r"\b(if it )?(hasn'?t|has not) (shipped|gone out|been sent)( yet)?\b",
    re.IGNORECASE,
)
"""A change asked about an order the customer believes still open ("I only ordered a few minutes
ago"): no exchange the reading missed, even when the parcel has since been delivered."""
CANCEL_ASK = re.compile(r"\bcan\w?cel+(?!l?ation (email|confirmation))", re.IGNORECASE)
"""A cancellation asked for in so many words ("cancel", "cancell", "canncel")."""
PERSON_ONLY_ACCOUNT = re.compile(
    r"delete|remove my (data|account)|close my account|merge|gdpr|personal data|copy of (my|the) data|"
    r"data (request|protection)|erase|forget me",
    re.IGNORECASE,
)
"""Account requests a person carries out (deletion, merging, data copies): never answered from a FAQ."""
RELATIVE_SIZE = re.compile(
    r"\bsize (up|down)\b|\b(bigger|smaller|larger|next) size\b|\bone size (up|down|bigger|smaller)\b",
    re.IGNORECASE,
)
"""A size named only against another ("a size up", "the next size")."""
USUAL_SIZE = re.compile(
    r"\bi(?:'m| am| wear| take)\b[^?]*\b(?:usually|normally|typically|generally|in most brands)\b[^?]*$",
    re.IGNORECASE,
)
"""A sentence telling the size a customer usually wears ("I'm usually a L in most brands."): it
says who they are, not which variant they ask about."""
_STOCK_WORDS = r"in stock|restock|available|come in|still make|do you have|sold out"
PRODUCT_ASK = re.compile(
    _STOCK_WORDS + r"|back in\b|\bsizes?\b|\bfit|colou?rs?\b|recommend|which one|difference between",
    re.IGNORECASE,
)
"""Words that ask about a product itself: its stock, sizes, fit or colours ("back in", not "back":
"can I get the difference back?" asks nothing of the product)."""
AVAILABILITY = re.compile(_STOCK_WORDS + r"|back\b", re.IGNORECASE)


@dataclass(frozen=True)
class IncomingMessage:
    """A customer message as the triage reads it (from a mailbox, a file, a webhook or a JSONL line)."""

    id: str
    sender: str
    subject: str
    body: str
    message_id: str | None = None
    in_reply_to: str | None = None
    received_at: datetime | None = None
    thread_text: str | None = None
    """The customer's earlier message in the same thread, for short chasers ("any update?")."""


@dataclass
class PlannedAction:
    kind: str
    params: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **{k: _jsonable(v) for k, v in self.params.items()}}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclass
class TriageResult:
    id: str
    intent: str
    confidence: float
    order_ref: str | None
    order_id: int | None
    customer_id: int | None
    decision: str
    reasons: list[str]
    reply: str | None
    reply_facts: dict[str, Any]
    actions: list[PlannedAction]
    understanding: Understanding
    sender: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "order_ref": self.order_ref,
            "decision": self.decision,
            "reply": self.reply,
            "actions": [a.to_json() for a in self.actions],
            "reasons": self.reasons,
        }


@dataclass
class TriageContext:
    """What every message's triage reads once: policy, catalog, store settings, the clock."""

    session: Session
    policy: Policy
    catalog: Catalog
    now: datetime
    store_name: str
    currency: str
    timezone: ZoneInfo
    ship_countries: tuple[str, ...]
    transit_days: tuple[int, int] | None
    next_rma: int
    vip_customer_ids: set[int] = field(default_factory=set)
    order_cache: dict[int, OrderFacts] = field(default_factory=dict)
    """Orders read during one message's triage (emptied at its start: actions carried out
    between two messages change them)."""

    def order(self, order_id: int) -> OrderFacts:
        """The order's facts at ``now``, read once per message."""
        facts = self.order_cache.get(order_id)
        if facts is None:
            facts = self.order_cache[order_id] = queries.order_facts(self.session, order_id, self.now)
        return facts

    @classmethod
    def load(cls, session: Session, policy: Policy, now: datetime, *, adapt: bool = True) -> TriageContext:
        """Read what triage needs once; ``adapt`` lets the understanding learn from the store's
        handled tickets (see the understanding package), which is the default."""
        settings = store_settings(session)
        countries = tuple(
            str(code)
            for (code,) in session.execute(
                select(m.Order.ship_country)
                .where(m.Order.ship_country.is_not(None), m.Order.ordered_at >= now - timedelta(days=365))
                .group_by(m.Order.ship_country)
                .order_by(func.count().desc())
            )
        )
        return cls(
            session=session,
            policy=policy,
            catalog=Catalog.from_session(session, adapt=adapt),
            now=now,
            store_name=settings.name,
            currency=settings.currency,
            timezone=zone(settings.timezone),
            ship_countries=countries,
            transit_days=_transit_days(session, now),
            next_rma=_next_rma_number(session),
        )

    def take_rma_number(self) -> str:
        number = f"RMA-{self.next_rma}"
        self.next_rma += 1
        return number


def _transit_days(session: Session, now: datetime) -> tuple[int, int] | None:
    """The typical (median, 90th percentile) whole days from shipping to delivery over 90 days."""
    rows = session.execute(
        select(m.Shipment.shipped_at, m.Shipment.delivered_at)
        .where(
            m.Shipment.delivered_at.is_not(None),
            m.Shipment.shipped_at >= now - timedelta(days=90),
            m.Shipment.delivered_at <= now,
        )
        .limit(5000)
    ).all()
    spans = sorted(max(0, (delivered - shipped).days) for shipped, delivered in rows if delivered and shipped)
    if len(spans) < 10:
        return None
    return int(median(spans)), spans[int(0.9 * (len(spans) - 1))]


def _next_rma_number(session: Session) -> int:
    numbers = [
        int(n.split("-")[-1])
        for n in session.scalars(select(m.Return.rma_number).where(m.Return.rma_number.like("RMA-%")))
        if n.split("-")[-1].isdigit()
    ]
    return max(numbers, default=10000) + 1


# --------------------------------------------------------------------------------------------
# Triage
# --------------------------------------------------------------------------------------------


class _Decision:
    def __init__(self) -> None:
        self.level = "auto"
        self.reasons: list[str] = []

    def at_most(self, level: str, reason: str) -> None:
        """Lower the autonomy to ``level`` (never raise it) and say why."""
        self.reasons.append(f"{level}: {reason}")
        if RANK[level] > RANK[self.level]:
            self.level = level


def triage(ctx: TriageContext, message: IncomingMessage) -> TriageResult:
    """Decide what to do with one message; read-only."""
    policy = ctx.policy
    ctx.order_cache.clear()
    u = understand(message.subject, message.body, ctx.catalog)
    if message.thread_text and len(u.clean_text) < CHASER_CHARACTERS:
        # A chaser ("any update?") asks what the message it chases asked: read that one.
        earlier = understand(message.subject, message.thread_text, ctx.catalog)
        u = replace(earlier, order_refs=earlier.order_refs or u.order_refs)
    # The checks below read the customer's words ("status", "update", "address"): they read them
    # through the classifier's speller, so that "satus", "upddate" or "adress" count as meant;
    # the store's product words stay as written ("Ribbed Tank" is no "ribbed thank"). (Entities
    # stay as understood: the catalog's matching has its own tolerance.)
    u = replace(u, clean_text=shipped_model().speller.correct(u.clean_text, keep=ctx.catalog.words))
    sender = (email_address(message.sender) or message.sender).strip().lower()
    customer_id = queries.customer_id_by_email(ctx.session, sender)
    written_at = _written_at(ctx, message)
    decision = _Decision()
    spam_evidence = phishing_signal(message.body) if u.intent in ("spam", "other") else None
    if spam_evidence:
        spam_evidence = f"spam by its link: {spam_evidence}"
    else:
        spam_evidence = _sent_again(ctx, message, sender, u, written_at)
    if spam_evidence and _is_a_customer(ctx, sender, customer_id):
        spam_evidence = None  # a customer's message is read by a person, whatever link it carries
    if spam_evidence:
        # A link that imitates a brand's domain or downloads an archive or program, or a spam
        # reading sent again word for word, in a message that asks nothing a customer asks, from
        # someone who is no customer: phishing, malware or bulk mail, whatever the model's
        # confidence. The confidence stays the model's own reading of spam.
        u = replace(u, intent="spam", confidence=dict(u.ranked).get("spam", 0.0), out_of_scope=False)
        decision.reasons.append(f"auto: {spam_evidence}")
    # What the model alone reads and finds plausible: neither the cues nor the orders' states
    # below talk it out of a complaint or a wrong item it finds plausible.
    text_confidence = u.confidence
    model_ranked = u.ranked
    cued = None if spam_evidence else _with_ask_cue(u, policy.faq)
    if cued is not None and cued[0][0][1] > u.confidence:
        ranked, cue_words = cued
        cued_intent, confidence = ranked[0]
        alone = f"the model alone: {u.confidence:.2f} for {u.intent}"
        said = f"{cued_intent} is {confidence:.2f} likely ({alone})"
        decision.reasons.append(f"auto: the message asks in so many words ({cue_words!r}): {said}")
        u = replace(u, intent=cued_intent, confidence=round(confidence, 4), ranked=ranked, out_of_scope=False)
        if not _is_a_customer(ctx, sender, customer_id):
            # A cold pitch the model alone reads as out of scope ("B2B leads for e-commerce"),
            # spam by its words, and sent again word for word: bulk mail, as above.
            spam_evidence = _sent_again(ctx, message, sender, u, written_at)
            if spam_evidence:
                decision.reasons.append(f"auto: {spam_evidence}")
    by_words = (
        None
        if spam_evidence
        else _reading_by_words(ctx, u, sender, customer_id, clean_subject(message.subject))
    )
    if by_words:
        # The model's long tail: a thank-you in words it has not learnt ("obsessed with ...") read
        # as out of scope, "If I order today will it arrive before Christmas?" read as a parcel to
        # look for. The words decide, as a link does for spam; the checks that lower autonomy
        # below (fault and complaint words, a complaint or wrong item the model finds plausible)
        # still apply. The confidence stays the model's.
        worded, why = by_words
        # Business mail stays outside what customers ask (out of scope): only its words, and the
        # owner's answer to them, let it out alone (below).
        u = replace(
            u, intent=worded, confidence=dict(u.ranked).get(worded, 0.0), out_of_scope=worded == "other"
        )
        decision.reasons.append(f"auto: {why}")
    read_by_words = by_words is not None
    intent = u.intent
    # What the orders the message can be about allow: "swap it for an M" about a delivered order
    # is an exchange, not a change to an open order; "has my return arrived?" needs a return.
    # (Worth the reads only when it can matter: a reading the states may rule out, or an unsure
    # one whose runners-up they may.)
    if not spam_evidence and (
        intent in STATE_BOUND
        or (u.confidence < policy.auto_confidence and any(i in STATE_BOUND for i, _ in u.ranked))
    ):
        orders, whose = _orders_in_question(ctx, u, sender, customer_id)
        posterior = _with_order_state(u, orders)
        confidence = posterior.get(intent, 0.0)
        if abs(confidence - u.confidence) >= STATE_NOTE_CHANGE:
            # Only the confidence in the text's own reading moves: a reading the data would
            # prefer instead ("has my return arrived?" with no return on record) is a customer
            # believing something the store's data does not show, which a person should see.
            decision.reasons.append(
                f"auto: with {whose}, {intent} is {confidence:.2f} likely "
                f"(the text alone: {u.confidence:.2f})"
            )
            u = replace(u, confidence=round(confidence, 4))

    text = u.clean_text.lower()
    words = [w for w in policy.escalate_words if re.search(rf"\b{re.escape(w)}\b", text)]
    if words:
        decision.at_most("escalate", f"always-escalate word: {', '.join(words)}")
    if intent in ALWAYS_HUMAN:
        decision.at_most("escalate", f"{intent} is always handled by a person")
    if intent not in ALWAYS_HUMAN and intent != "spam":
        # A safety net under the model for what must reach a person: wrong, damaged, complaint.
        cue = FAULT_WORDS.search(text) or COMPLAINT_WORDS.search(text)
        if cue:
            decision.at_most("escalate", f"the message may be a fault or a complaint: {cue.group(0)!r}")
    if u.out_of_scope and not (read_by_words and intent == "other"):
        decision.at_most("escalate", "the message is outside what the model knows")
    if spam_evidence or read_by_words:
        pass  # the link, the repetition or the words decide, not the model's confidence (above)
    elif u.confidence < policy.draft_confidence:
        decision.at_most("escalate", f"intent confidence {u.confidence:.2f} < {policy.draft_confidence:.2f}")
    elif u.confidence < policy.auto_confidence:
        decision.at_most("draft", f"intent confidence {u.confidence:.2f} < {policy.auto_confidence:.2f}")
    if min(u.confidence, text_confidence) < policy.auto_confidence and not spam_evidence:
        # Judged on the text alone too: the orders' states never talk a complaint out of it.
        plausible = [
            i for i, p in model_ranked if i in ALWAYS_HUMAN and i != intent and p >= HUMAN_INTENT_PLAUSIBLE
        ]
        if plausible:
            # Unsure, and it may be a wrong or damaged item or a complaint: a person looks first.
            decision.at_most(
                "escalate", f"it may be {plausible[0]} (probability >= {HUMAN_INTENT_PLAUSIBLE})"
            )
    mode = policy.mode_for(intent)
    if mode == "off":
        decision.at_most("escalate", f"policy: {intent} is not handled automatically")
    elif mode == "draft":
        decision.at_most("draft", f"policy: {intent} replies are drafts for approval")

    if intent == "spam" and u.confidence < SPAM_CLOSE_CONFIDENCE and not spam_evidence:
        decision.at_most("draft", f"spam confidence {u.confidence:.2f} < {SPAM_CLOSE_CONFIDENCE:.2f}")
    if intent == "spam" and _is_a_customer(ctx, sender, customer_id):
        # Spam is closed without a reply: a customer's real message misread as spam would be lost.
        decision.at_most("draft", "read as spam, but the sender is a customer")
    order, order_problem = _resolve_order(ctx, u, sender, customer_id, intent, written_at)
    if order_problem:
        decision.at_most("draft", order_problem)
    if customer_id is None and order is not None:
        customer_id = order.customer_id
    vip = sender in policy.vip_emails or (policy.vip_flagged_customers and _is_vip(ctx.session, customer_id))
    if vip:
        decision.at_most("draft", "VIP customer")
    if intent == "praise" and u.sentiment <= 0:
        # Praise without one positive word is more likely a complaint the model misread.
        decision.at_most("escalate", "praise without a positive word")
    upset_late = order is not None and u.sentiment <= UPSET_SENTIMENT and _is_late(order, ctx.now)
    if upset_late:
        assert order is not None
        problem = _upset_late_problem(intent, order, u.clean_text)
        if problem:
            decision.at_most("escalate", f"an upset customer whose order is late: {problem}")
    answer = _Answer(
        ctx,
        u,
        order,
        decision,
        sender,
        customer_id,
        clean_subject(message.subject),
        written_at,
    )
    answer.apologise = upset_late
    answer.write(intent)
    if (
        intent not in ORDER_INTENTS
        and intent != "spam"
        and WHERE_IS_ORDER.search(answer.body_text)
        and not HYPOTHETICAL_ORDER.search(answer.body_text)
    ):
        decision.at_most("draft", "the message also asks where an order is")
    if intent == "order_status" and not WHEREABOUTS.search(answer.body_text):
        # Read as "where is my order?" but nothing in it asks about the parcel ("so much plastic
        # packaging", under a shipping notification's subject): more likely a complaint.
        decision.at_most("escalate", "read as an order status question, but it asks nothing about the parcel")
    if intent == "order_status" and CANCEL_ASK.search(answer.body_text):
        # "I need to cancel my order - I haven't had a shipping email" read as where-is-it: the
        # status answer would ignore the cancellation asked for.
        decision.at_most("draft", "read as an order status question, but it asks to cancel")
    first_ask = earlier_ask(answer.body_text, intent) if intent not in ALWAYS_HUMAN else None
    if first_ask is not None:
        # "I still haven't got my parcel. Also, my code didn't work" read as the code question:
        # the answer would miss the main ask (and a person reads a first complaint).
        decision.at_most(
            "escalate" if first_ask in ALWAYS_HUMAN else "draft",
            f"the message first asks about {first_ask}, then 'also' about {intent}",
        )
    if u.secondary_intent and u.secondary_intent != intent and not answer.also(u.secondary_intent):
        decision.at_most("draft", f"the message also asks about {u.secondary_intent}")
    if intent not in ALWAYS_HUMAN and intent != "spam":
        # Another ask in so many words ("Any update on my order? Also, my code didn't work" read
        # as the code question): the answer would miss it.
        missed = [
            name
            for name, cue in ASK_CUES.items()
            if name not in (intent, u.secondary_intent) and cue.search(answer.body_text)
        ]
        if missed:
            decision.at_most("draft", f"the message also asks about {missed[0]} in so many words")
    if intent not in ALWAYS_HUMAN and intent != "spam":
        # A store question asked along the way ("Also, my code didn't work") the model did not
        # flag as a second ask: quote the owner's answer, or leave it to a person.
        extra = tuple(t for t in knowledge.asked_topics(answer.body_text) if t not in answer.topics_seen)
        if extra and not answer.store_answers(extra)[1]:
            decision.at_most("draft", "the message also asks what the store's answers do not cover")
        elsewhere = topic_instead_of_product(answer.body_text) if intent == "product_question" else None
        if elsewhere:
            # "I bought the bookmark on Nov 19 and now it's on sale. Can I get the difference
            # back?" read as a question about the bookmark.
            decision.at_most(
                "draft", f"read as a product question, but it asks about {elsewhere}, not the product"
            )
        business = knowledge.asked_business_topics(answer.body_text) if intent != "other" else []
        if business:
            # "Where is my order? Also, do you do wholesale?": business mail answers go out alone.
            decision.at_most("draft", f"the message also asks about {business[0]} (business mail)")
    if order is not None and order.total > policy.max_auto_order_value and answer.acts_on_order:
        decision.at_most(
            "draft",
            f"order total {money_text(order.total, order.currency)} > automatic limit "
            f"{money_text(policy.max_auto_order_value, order.currency)}",
        )
    if answer.reply.is_empty and intent != "spam":
        decision.at_most("escalate", "no answer can be written from the store's data")

    name = order.customer_name if order is not None else None
    reply_text = (
        render(
            answer.reply,
            name=name or _name_from_sender(message.sender),
            policy=policy,
            store_name=ctx.store_name,
        )
        if not answer.reply.is_empty
        else None
    )
    actions = list(answer.actions)
    if decision.level == "escalate":
        actions.append(
            PlannedAction("escalate", {"reasons": [r for r in decision.reasons if r.startswith("escalate")]})
        )
    return TriageResult(
        id=message.id,
        intent=intent,
        confidence=u.confidence,
        order_ref=order.number if order is not None else None,
        order_id=order.id if order is not None else None,
        customer_id=customer_id,
        decision=decision.level,
        reasons=decision.reasons,
        reply=reply_text,
        reply_facts=answer.reply.facts,
        actions=actions,
        understanding=u,
        sender=sender,
    )


def _orders_in_question(
    ctx: TriageContext, u: Understanding, sender: str, customer_id: int | None
) -> tuple[list[OrderFacts], str]:
    """The orders a message can be about, found without its reading: the sender's one order it
    names by number, else the sender's recent orders (none for a stranger). Returns them and how
    they were found (for the reasons)."""
    if u.order_refs:
        ids: list[int] = []
        for ref in u.order_refs:
            for number in ref.lookup_numbers():
                ids.extend(i for i in queries.find_orders_by_reference(ctx.session, number) if i not in ids)
        facts = (ctx.order(i) for i in ids)
        owned = [o for o in facts if _owns(o, sender, customer_id)]
        if len(owned) == 1:
            return owned, f"the state of order {owned[0].number}"
        if owned:
            return owned, "the states of the orders it names"
    if not sender:
        return [], "no order of the sender's"
    recent = queries.orders_of_sender(
        ctx.session, sender, customer_id, ctx.now - timedelta(days=RECENT_ORDER_DAYS)
    )
    orders = [ctx.order(i) for i in recent[:STATE_ORDERS]]
    return orders, (
        f"the states of the sender's {len(orders)} recent orders" if orders else "no recent order"
    )


def _state_fits(intent: str, orders: list[OrderFacts]) -> bool:
    """Whether any of the orders a message can be about is in a state a message of this intent
    can be about. Only what rules an intent out all but surely counts: with no order at all, no
    order intent fits; nothing is returned before it arrives, and a cancelled order goes nowhere.
    (A delivered parcel can still be missing, a shipped order can still be asked to be cancelled,
    and a return can be on its way without a number, so those fit.)"""
    if intent not in STATE_BOUND:
        return True
    if intent == "order_status":
        # A parcel that arrived and has gone back (a return or refund on record) is no parcel
        # anyone still waits for.
        return any(not o.is_cancelled and not (o.is_delivered and (o.returns or o.refunds)) for o in orders)
    if intent in ("return_request", "exchange_request"):
        return any(o.is_delivered and not o.is_cancelled for o in orders)
    return bool(orders)


def _with_order_state(u: Understanding, orders: list[OrderFacts]) -> dict[str, float]:
    """The probabilities of the text's top readings once the states of the orders it can be about
    are known (Bayes): an intent no such order's state fits keeps ``STATE_MISFIT_LIKELIHOOD`` of its
    probability. Intents a person must see (wrong/damaged item, complaint) and those the state
    says nothing about keep theirs, and so does what the model spread beyond its top three."""
    ranked = dict(u.ranked)
    rest = max(0.0, 1.0 - sum(ranked.values()))
    weighted = {
        i: p * (1.0 if _state_fits(i, orders) else STATE_MISFIT_LIKELIHOOD) for i, p in ranked.items()
    }
    total = sum(weighted.values()) + rest
    return {i: w / total for i, w in weighted.items()} if total > 0 else dict(ranked)


def _sent_again(
    ctx: TriageContext, message: IncomingMessage, sender: str, u: Understanding, written_at: datetime
) -> str | None:
    """Why a message read as spam is bulk mail, or None: bulk mail repeats itself word for word,
    while a person writing again rewords or replies."""
    if (
        u.intent == "spam"
        and u.confidence >= ctx.policy.draft_confidence
        and _sent_before(ctx, message, sender, written_at)
    ):
        return "read as spam, and the sender sent this very text before"
    return None


def _written_at(ctx: TriageContext, message: IncomingMessage) -> datetime:
    """When the customer wrote: the message's own time, else the stored message's (a message read
    again from the database), else now."""
    when = message.received_at
    if when is None and message.message_id:
        when = ctx.session.scalar(
            select(m.SupportMessage.sent_at).where(
                m.SupportMessage.message_id == message.message_id, m.SupportMessage.direction == "inbound"
            )
        )
    return min(ensure_utc(when), ctx.now) if when is not None else ctx.now


def _sent_before(ctx: TriageContext, message: IncomingMessage, sender: str, written_at: datetime) -> bool:
    """Whether ``sender`` sent this very text (at least BULK_MIN_CHARACTERS of it) before this
    message: stored inbound messages with the same body, from the same address, sent earlier."""
    if len(message.body.strip()) < BULK_MIN_CHARACTERS or not sender:
        return False
    rows = ctx.session.execute(
        select(m.SupportMessage.from_address, m.SupportMessage.message_id).where(
            m.SupportMessage.direction == "inbound",
            m.SupportMessage.body == message.body,
            m.SupportMessage.sent_at < written_at,
        )
    )
    return any(
        (email_address(address) or address).strip().lower() == sender and other != message.message_id
        for address, other in rows
    )


def phishing_signal(text: str) -> str | None:
    """A link in ``text`` no honest sender needs: one whose host name borrows a brand's name on
    somebody else's domain ('sellercentral-amazon.verify-id.net'), or one that downloads an
    archive or a program ('.../invoice.zip'). Returns what was found, or None."""
    for match in _URL.finditer(text):
        host = match.group(1).lower().rsplit("@", 1)[-1].split(":", 1)[0].rstrip(".")
        path = match.group(2).split("?", 1)[0].split("#", 1)[0].lower()
        if _DANGEROUS_DOWNLOAD.search(path):
            return f"a link that downloads {path.rsplit('.', 1)[-1]} files ({host})"
        labels = host.split(".")
        if len(labels) < 2:
            continue
        second_level = len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL
        owner = labels[-3] if second_level else labels[-2]
        words = set(re.split(r"[.-]", host))
        for brand in IMITATED_BRANDS:
            if brand in words and owner != brand:
                return f"a link that imitates {brand} on another domain ({host})"
    return None


def _reading_by_words(
    ctx: TriageContext, u: Understanding, sender: str, customer_id: int | None, subject_text: str
) -> tuple[str, str] | None:
    """(the intent, why) when the message's own words settle a reading the model is unsure of or
    has no ground for: praise and nothing else, a shipping question before ordering, an ask in
    so many words beside a reading whose subject the message never names."""
    if why := _praise_only(u, ctx.policy, subject_text):
        return "praise", why
    if why := _shipping_before_ordering(ctx, u, sender, customer_id):
        return "shipping_question", why
    unsure = u.confidence < ctx.policy.auto_confidence and u.intent not in ALWAYS_HUMAN
    if (u.intent == "other" or u.out_of_scope or unsure) and (
        asked := answered_business_topics(ctx.policy, u, u.clean_text)
    ):
        # Wholesale, press, job or donation mail, which the model finds outside what customers ask
        # or reads unsure as a customer's question ("would you consider donating a prize?" as a
        # product question): the owner's own answer to it is the reply, as for any store topic.
        return "other", (
            f"business mail about {', '.join(asked)}, which the owner's store answers cover "
            f"(the model: {u.intent} {u.confidence:.2f})"
        )
    return _ask_beside_unfounded_reading(u)


CLOCK_GRACE = timedelta(minutes=10)
"""How far a message's Date may run behind the store's clock (a customer's device)."""


def _quoting_tracking(text: str, orders: list[OrderFacts]) -> list[OrderFacts]:
    """The orders whose tracking number ``text`` quotes (spaces inside it ignored, any case)."""
    compact = re.sub(r"\s+", "", text).lower()
    return [
        o
        for o in orders
        if o.tracking_number
        and len(o.tracking_number) >= 8
        and o.tracking_number.replace(" ", "").lower() in compact
    ]


def topic_instead_of_product(text: str) -> str | None:
    """The store topic of another intent a message asks (its price adjustment, a code) when it
    asks nothing of a product itself (no stock, size, fit, colour or aspect words), or None."""
    if PRODUCT_ASK.search(text) or knowledge.asked_aspects(text):
        return None
    elsewhere = [
        t for t in knowledge.asked_topics(text) if TOPIC_INTENTS.get(t) not in (None, "product_question")
    ]
    return elsewhere[0] if elsewhere else None


def answered_business_topics(policy: Policy, u: Understanding, text: str) -> list[str]:
    """The business-mail topics (``knowledge.BUSINESS_TOPICS``) a message is about when the owner
    has answered every one of them and it names no order and asks nothing a customer asks (an
    ask cue or a customer's store topic); else none."""
    asked = knowledge.asked_business_topics(text)
    if not asked or not all(policy.faq.get(topic) for topic in asked):
        return []
    if u.order_refs or PLACED_ORDER_TALK.search(text) or knowledge.asked_topics(text):
        return []
    if any(cue.search(text) for cue in ASK_CUES.values()):
        return []
    return asked


def _ask_beside_unfounded_reading(u: Understanding) -> tuple[str, str] | None:
    """(the intent asked, why) when the model reads a question about something the message never
    names ("a discount question" without a code, a discount, a sale or a price) and the message
    asks one other thing in so many words ("Apple Pay isn't working on your site")."""
    subject = READING_SUBJECTS.get(u.intent)
    if subject is None or subject.search(u.clean_text):
        return None
    asked = [(name, match) for name, cue in ASK_CUES.items() if (match := cue.search(u.clean_text))]
    if len(asked) != 1 or asked[0][0] == u.intent:
        return None
    ((name, match),) = asked
    return name, (
        f"read as {u.intent} ({u.confidence:.2f}), but it names nothing of one; it asks about {name} "
        f"in so many words ({match.group(0)!r})"
    )


def _praise_only(u: Understanding, policy: Policy, subject_text: str) -> str | None:
    """Why the message is a thank-you and nothing else, or None.

    Every sentence of the body but the courtesy and the greeting says something positive (lexicon
    sentiment above 0; "I was charged more than the total" beside "always been happy" is a problem
    told, not praise), the whole is positive (at least ``HAPPY_SENTIMENT``), nothing in it or the
    subject asks, wants or qualifies anything (``ANY_ASK``: no question mark, no "please", "can
    you", "but", "still", "return", "not", "didn't" ...) nor asks a store topic, it speaks of
    the writer or to us (not a query like "best tee for running"), and the model is neither sure
    of another reading nor reads one a person must see."""
    if u.intent in ALWAYS_HUMAN or u.confidence >= policy.auto_confidence:
        return None
    said = without_courtesy(u.clean_text)
    if ANY_ASK.search(said) or not SPEAKS_OF_ITSELF.search(said) or sentiment(said) < HAPPY_SENTIMENT:
        return None
    if knowledge.asked_topics(said):
        return None  # a store question ("my card was declined") told among kind words
    first, _, rest = u.clean_text.partition("\n")
    body = rest if subject_text and first.lower() == subject_text.lower() else u.clean_text
    sentences = [
        s
        for s in SENTENCE_END.split(without_courtesy(body))
        if s.strip() and not REFERENCE_ONLY.fullmatch(s.strip())
    ]
    if not sentences or any(sentiment(s) <= 0 for s in sentences):
        return None
    return f"praise by its words: only positive words, no ask (the model: {u.intent} {u.confidence:.2f})"


def _shipping_before_ordering(
    ctx: TriageContext, u: Understanding, sender: str, customer_id: int | None
) -> str | None:
    """Why a message read as "where is my order?" asks about an order not placed yet, or None.

    It says so ("If I order today ..."), names no order, asks shipping topics the owner has
    answered, and no order of the sender's is on its way (one that is may be what it asks about);
    the model counts a shipping question among its readings."""
    if u.intent != "order_status" or u.order_refs or "shipping_question" not in dict(u.ranked):
        return None
    hypothetical = HYPOTHETICAL_ORDER.search(u.clean_text)
    asked = [t for t in knowledge.asked_topics(u.clean_text) if t in SHIPPING_TOPICS]
    if hypothetical is None or not asked or not all(ctx.policy.faq.get(t) for t in asked):
        return None
    orders, _ = _orders_in_question(ctx, u, sender, customer_id)
    if any(_fits("order_status", order, ctx.now) for order in orders):
        return None
    return (
        f"a shipping question before ordering ({hypothetical.group(0)!r}) the store's answers cover "
        f"(the model: {u.intent} {u.confidence:.2f})"
    )


def _upset_late_problem(intent: str, order: OrderFacts, text: str) -> str | None:
    """Why an upset customer whose order is late needs a person, or None when the honest status
    answer (with an apology) is all they ask for.

    Where the parcel is and when the carrier now expects it is an answer the data gives; what it
    cannot give is a judgement: a complaint about something else (being ignored, the service),
    compensation asked for, or an order that has not even left us after a week (our failure, not
    the carrier's, with no date to promise)."""
    if intent != "order_status":
        return "it asks more than where the order is"
    if order.shipped_at is None:
        return "it has not shipped a week after it was placed"
    if not WHEREABOUTS_ASK.search(text):
        return "it complains about the wait and asks nothing"
    # The greeting is no complaint: "Dear Customer Service Team," names whom it writes to.
    if cue := SERVICE_COMPLAINT.search(without_courtesy(text)):
        return f"a complaint about the service ({cue.group(0)!r})"
    if cue := COMPENSATION_ASK.search(text):
        return f"compensation is asked for ({cue.group(0)!r})"
    return None


def _parcel_trouble(order: OrderFacts, now: datetime) -> str | None:
    """Why a parcel the carrier flags (exception, returned to sender) needs a person, or None when
    the carrier's own words report only a delay that is still recent.

    A delay ("Delivery exception: package delayed in transit", "weather delay") is what the status
    answer already says honestly: late, being watched. Anything else the carrier reports (damaged,
    lost, address problem, failed attempt, held, returning) needs someone to act, and so does a
    delay that has gone on long enough to call the parcel stuck."""
    status, event = order.tracking_status, order.last_event or ""
    if status != "exception" or not CARRIER_DELAY.search(event) or CARRIER_TROUBLE.search(event):
        return f"the parcel's tracking status is {status}"
    if order.estimated_delivery_at is None or order.last_event_at is None:
        return "the carrier reports a delay with no expected day to go by"
    overdue = now - order.estimated_delivery_at
    if overdue > timedelta(days=STUCK_DELAY_DAYS) or now - order.last_event_at > timedelta(
        days=STUCK_DELAY_DAYS
    ):
        return (
            f"the carrier reported a delay and the parcel is over {STUCK_DELAY_DAYS} days overdue or silent"
        )
    return None


def _is_late(order: OrderFacts, now: datetime) -> bool:
    """On the road past the carrier's expected day, or not shipped a week after it was placed."""
    if order.is_cancelled or order.is_delivered:
        return False
    if order.shipped_at is not None:
        return order.estimated_delivery_at is not None and order.estimated_delivery_at < now
    return now - order.ordered_at > timedelta(days=LATE_UNSHIPPED_DAYS)


def _name_from_sender(sender: str) -> str | None:
    """'Jane Doe <jane@x.com>' -> 'Jane Doe'; a bare address gives no name."""
    match = re.match(r'\s*"?([^"<]+?)"?\s*<', sender)
    return match.group(1).strip() if match else None


def _is_a_customer(ctx: TriageContext, sender: str, customer_id: int | None) -> bool:
    """A known customer, an address that placed an order, or an Amazon buyer (only buyers get relays)."""
    if customer_id is not None or sender.endswith("@" + AMAZON_RELAY):
        return True
    return bool(sender) and queries.address_has_orders(ctx.session, sender)


def _is_vip(session: Session, customer_id: int | None) -> bool:
    if customer_id is None:
        return False
    return bool(session.scalar(select(m.Customer.is_vip).where(m.Customer.id == customer_id)))


# --------------------------------------------------------------------------------------------
# Which order
# --------------------------------------------------------------------------------------------


def _owns(order: OrderFacts, sender: str, customer_id: int | None) -> bool:
    if order.email and order.email.strip().lower() == sender:
        return True
    if customer_id is not None and order.customer_id == customer_id:
        return True
    # Amazon's buyer-seller messages come from a relay address only the order's buyer can use.
    return order.channel_kind == "amazon" and sender.endswith("@" + AMAZON_RELAY)


def _fits(intent: str, order: OrderFacts, now: datetime) -> bool:
    """Whether an order's state makes it the one a message of this intent is about."""
    if intent == "order_status":
        return not order.is_cancelled and not order.is_delivered
    if intent in ("return_request", "exchange_request", "wrong_item", "damaged_item", "praise"):
        return order.is_delivered and not order.is_cancelled
    if intent in ("cancel_order", "change_order", "change_address"):
        return not order.is_cancelled and now - order.ordered_at < timedelta(days=7)
    if intent == "refund_status":
        return bool(order.returns or order.refunds)
    return now - order.ordered_at < timedelta(days=LATELY_DAYS)


def _resolve_order(
    ctx: TriageContext,
    u: Understanding,
    sender: str,
    customer_id: int | None,
    intent: str,
    written_at: datetime,
) -> tuple[OrderFacts | None, str | None]:
    """Return (the order the message is about, or None; a problem that needs a person, or None).
    ``written_at``: when the customer wrote, the day "today", "yesterday" and "6 days ago" count
    from."""
    ids: list[int] = []
    for ref in u.order_refs:
        for number in ref.lookup_numbers():
            for found in queries.find_orders_by_reference(ctx.session, number):
                if found not in ids:
                    ids.append(found)
    needs_order = intent in ORDER_INTENTS
    if intent == "spam":
        return None, None  # spam's "invoice #88412" is bait, not one of the store's orders
    if not u.order_refs and intent in ORDER_NAMED_ONLY:
        # A checkout or code problem is often about an order that never happened: only a written
        # number ties it to one.
        return None, None
    if u.order_refs:
        if not ids:
            return None, f"order {u.order_refs[0].text} is not in the store's data"
        orders = [ctx.order(i) for i in ids]
        owned = [o for o in orders if _owns(o, sender, customer_id)]
        if len(owned) == 1:
            return owned[0], None
        if len(owned) > 1:
            return None, "the message names several of the customer's orders"
        return None, f"order {orders[0].number} does not belong to {sender}"
    if not sender:
        return None, "no order number and no sender address" if needs_order else None
    candidates = queries.orders_of_sender(
        ctx.session, sender, customer_id, ctx.now - timedelta(days=RECENT_ORDER_DAYS)
    )
    facts = [ctx.order(i) for i in candidates[:20]]
    # A message is about an order placed before it was written (a few minutes' grace for the
    # sender's clock).
    facts = [o for o in facts if o.ordered_at <= written_at + CLOCK_GRACE]
    # The tracking number the customer quotes names the parcel, whatever else fits.
    quoted = _quoting_tracking(u.clean_text, facts)
    if len(quoted) == 1:
        return quoted[0], None
    fitting = [o for o in facts if _fits(intent, o, ctx.now)]
    if len(fitting) > 1:
        # Several orders fit: the one holding the product the customer names.
        named = [o for o in fitting if _named_lines(o, u, ctx.catalog)]
        fitting = named or fitting
    if len(fitting) > 1:
        # ... or the one placed on the day the customer writes ("my order from 11/19").
        today = business_day(written_at, ctx.timezone)
        # "the order I placed on 11/3 ... I got it on November 5": the day it was placed is the
        # order's; the other is the delivery's.
        # "I got it on 11/13" is the delivery's day, matched against the day the parcel arrived.
        zone_key = ctx.timezone.key
        placed = order_days(u.clean_text, today, zone_key)
        # (Not for a thank-you: "Received my order today - the quality is amazing" needs no order,
        # and a guess at one can only name the wrong item.)
        got = set() if placed or intent == "praise" else delivery_days(u.clean_text, today, zone_key)
        days = placed or got or written_days(u.clean_text, today, zone_key)
        # A day either side: the customer writes the day where they are, we keep the store's.
        near = {d + timedelta(days=shift) for d in days for shift in (-1, 0, 1)}
        zone = ctx.timezone
        dated = [
            o for o in fitting if (_day_arrived(o, zone) if got else business_day(o.ordered_at, zone)) in near
        ]
        fitting = dated or fitting
    # ... or the only one with an item in a size or colour the customer writes ("the XL I got",
    # "the mug in oat"). Only the named product's lines count when one is named: in "swap my
    # shorts for an L" the L is the size wanted, and another order's L tee is not the order meant.
    # A colour written in an exchange or a change is as often the one wanted ("I love the tote
    # but need it in oat"), so it picks no order there; nor does a size asked for ("could I
    # exchange it for S?": another order's S tee is not the one meant).
    swapping = intent in ("exchange_request", "change_order")
    held_colours = () if swapping else u.colours
    asked = _asked_values(u.clean_text) if swapping else set()
    # The words asked for, read as sizes ("medium", "extra large", "10") the way the text's are.
    wanted = set(sizes_in(" ".join(f"size {word}" for word in asked)))
    # "I'm usually a S in most brands" says who the customer is, not which item they hold.
    held_sizes = tuple(size for size in _asked_sizes(u.clean_text, u.sizes) if size not in wanted)
    if len(fitting) > 1 and swapping:
        wanted_colours = {c.lower() for c in u.colours} & asked
        fitting = _swappable_for(fitting, u, ctx.catalog, wanted, wanted_colours)
    for written, of_line in ((held_sizes, _line_size), (held_colours, _line_colour)):
        if len(fitting) > 1 and written:
            held = [
                o
                for o in fitting
                if any(of_line(line) in written for line in (_named_lines(o, u, ctx.catalog) or o.lines))
            ]
            fitting = held if len(held) == 1 else fitting
    if len(fitting) == 1:
        return fitting[0], None
    if not needs_order:
        return None, None
    if not fitting:
        return None, "no order number given and none of the sender's recent orders fits"
    return None, f"no order number given and {len(fitting)} of the sender's orders could be meant"


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_WRITTEN_DAY = re.compile(
    rf"\b(?P<a>\d{{1,2}})/(?P<b>\d{{1,2}})(?:/\d{{2,4}})?\b|"
    rf"\b{_MONTH}\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b|"
    rf"\b(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}|"
    r"\bthe (?P<d3>\d{1,2})(?:st|nd|rd|th)\b|\b(?P<rel>yesterday|today)\b",
    re.IGNORECASE,
)


_ORDER_DAY = re.compile(
    r"\b(placed|ordered|bought|purchased)\b(?: (?:it|them|this|these))?(?: on| from)?"
    r"\s+(?P<day>[^.?!\n,]{1,20})",
    re.IGNORECASE,
)
_DELIVERY_DAY = re.compile(
    r"\b(got|received|arrived|came|delivered)\b(?: (?:it|them|this|these))?(?: on)?"
    r"\s+(?P<day>[^.?!\n,]{1,20})",
    re.IGNORECASE,
)


_DAYS_AGO = re.compile(r"(\d{1,2}) days? ago\b", re.IGNORECASE)


def _day_arrived(order: OrderFacts, timezone: ZoneInfo) -> date | None:
    return business_day(order.delivered_at, timezone) if order.delivered_at is not None else None


def order_days(text: str, today: date, timezone: str = "") -> set[date]:
    """The days a message says something was ordered on ("I placed it on 11/3", "ordered
    yesterday", "the order I placed 6 days ago"), read like ``written_days``."""
    return _days_said(_ORDER_DAY, text, today, timezone)


def delivery_days(text: str, today: date, timezone: str = "") -> set[date]:
    """The days a message says something reached the customer on ("I got it on 11/13", "it
    arrived yesterday"), read like ``written_days``."""
    return _days_said(_DELIVERY_DAY, text, today, timezone)


def _days_said(pattern: re.Pattern[str], text: str, today: date, timezone: str) -> set[date]:
    days: set[date] = set()
    for match in pattern.finditer(text):
        if ago := _DAYS_AGO.match(match.group("day")):
            days.add(today - timedelta(days=int(ago.group(1))))
        days |= written_days(match.group("day"), today, timezone)
    return days


def written_days(text: str, today: date, timezone: str = "") -> set[date]:
    """The calendar days a message names ("11/19", "November 6", "the 19th", "yesterday"), each
    taken as the latest such day not after ``today``. Month/day order follows the store: month
    first in the Americas' time zones, day first elsewhere."""
    days: set[date] = set()
    month_first = timezone.startswith("America/")
    for match in _WRITTEN_DAY.finditer(text):
        groups = match.groupdict()
        month: int | None = None
        if groups["rel"]:
            days.add(today - timedelta(days=1) if groups["rel"].lower() == "yesterday" else today)
            continue
        if groups["a"]:
            first, second = int(groups["a"]), int(groups["b"])
            month, day = (first, second) if month_first else (second, first)
        else:
            name = next((g for g in match.groups()[2:] if g and g[:3].lower() in _MONTHS), None)
            day = int(groups["d1"] or groups["d2"] or groups["d3"])
            month = _MONTHS.index(name[:3].lower()) + 1 if name else None
        for back in range(0, 13):
            year, candidate_month = today.year, (month or today.month - back)
            if month is None:
                while candidate_month < 1:
                    candidate_month += 12
                    year -= 1
            try:
                candidate = date(year, candidate_month, day)
            except ValueError:
                if month is not None:
                    break
                continue
            if candidate > today:
                if month is not None:
                    try:
                        candidate = date(year - 1, candidate_month, day)
                    except ValueError:
                        break
                else:
                    continue
            days.add(candidate)
            break
    return days


def _with_ask_cue(
    u: Understanding, faq: Mapping[str, str] | None = None
) -> tuple[tuple[tuple[str, float], ...], str] | None:
    """(the top readings re-weighed, the words) when the message asks one of ``ASK_CUES`` in so
    many words and the model counts that intent among its top readings: its probability times the
    cue's likelihood ratio, renormalised (Bayes), when that makes it the most likely reading. None
    when no cue, or cues of several asks, are in the text.

    A store topic the owner has answered (``faq``: "which carrier do you use", "now on sale") is
    such a cue too, for the intent whose answer quotes it (``TOPIC_INTENTS``), in a message without
    an ask cue: beside one ("where is my order? Also, my code didn't work") it is a side question
    the answer quotes along the way."""
    found = {name: match for name, cue in ASK_CUES.items() if (match := cue.search(u.clean_text))}
    # An ask cue names the main ask; a store topic beside it is answered along the way.
    answered = faq or {}
    for topic, pattern in knowledge.TOPIC_PATTERNS.items() if not found else ():
        if answered.get(topic) and (match := pattern.search(u.clean_text)):
            found.setdefault(TOPIC_INTENTS[topic], match)
    if len(found) != 1:
        return None
    ((cued, match),) = found.items()
    probabilities = dict(u.ranked)
    if cued not in probabilities:
        return None  # the model does not consider it: the words may mean something else here
    prior = probabilities[cued]
    scale = 1.0 + (ASK_CUE_LIKELIHOOD_RATIO - 1.0) * prior
    lifted = ASK_CUE_LIKELIHOOD_RATIO * prior / scale
    if any(p / scale > lifted for i, p in probabilities.items() if i != cued):
        return None
    others = tuple((i, round(p / scale, 4)) for i, p in u.ranked if i != cued)
    return ((cued, round(lifted, 4)), *others), match.group(0)


def _line_size(line: LineFacts) -> str | None:
    return line.size


def _line_colour(line: LineFacts) -> str | None:
    """As the understanding writes colours: lowercase."""
    return line.colour.lower() if line.colour else None


TOO_SMALL = re.compile(r"\btoo (small|tight|short|snug)\b", re.IGNORECASE)
TOO_BIG = re.compile(r"\btoo (big|large|loose|baggy|long)\b", re.IGNORECASE)


def _swappable_for(
    orders: list[OrderFacts], u: Understanding, catalog: Catalog, wanted: set[str], wanted_colours: set[str]
) -> list[OrderFacts]:
    """Of several orders holding the named product, those whose line a swap to the wanted size or
    colour can be about: not one already in it ("swap my waffle sleeve for an M" is not about the
    M one, "I love the mug but need it in oat" not about the oat one), and a smaller one when it
    is too small, a larger one when too big. All of them when that leaves none."""
    if not (wanted or wanted_colours):
        return orders
    text = u.clean_text
    direction = -1 if TOO_SMALL.search(text) else 1 if TOO_BIG.search(text) else 0
    targets = [SIZE_ORDER.index(size) for size in wanted if size in SIZE_ORDER]

    def swappable(line: LineFacts) -> bool:
        if (line.colour or "").lower() in wanted_colours:
            return False
        if not wanted:
            return True
        if line.size is None or line.size in wanted:
            return False
        if not direction or line.size not in SIZE_ORDER or not targets:
            return True
        held = SIZE_ORDER.index(line.size)
        return all((held - target) * direction > 0 for target in targets)

    kept = [o for o in orders if any(swappable(line) for line in _named_lines(o, u, catalog))]
    return kept or orders


def _named_lines(order: OrderFacts, u: Understanding, catalog: Catalog) -> list[LineFacts]:
    """The order's lines whose product the message names (by a catalog match or its title words).
    The product counts, not the variant the match settled on: in "can I swap my waffle sleeve for
    an M?" the match is the M, and the order meant holds another size."""
    skus = {mention.sku.lower() for mention in u.mentions}
    products = {v.product_title for mention in u.mentions if (v := catalog.by_sku(mention.sku))}
    text = u.clean_text.lower()
    named = []
    for line in order.lines:
        words = _words(line.product)
        by_match = (line.sku and line.sku.lower() in skus) or line.product in products
        if by_match or (words and all(w in text for w in words)):
            named.append(line)
    return _without_shorter_namesakes(named, text)


def _without_shorter_namesakes(lines: list[LineFacts], text: str) -> list[LineFacts]:
    """The lines named, less those of a product whose title is written only inside a longer one:
    "the stoneware mug no. 2" names the Stoneware Mug No. 2, not the Stoneware Mug beside it.
    (The other way round it does not: "the soy candle" is as often the Soy Candle No. 2.)"""
    lowered = text.lower()
    written = {line.product.lower() for line in lines if line.product.lower() in lowered}
    inside = {title for title in written if any(title != other and title in other for other in written)}
    return [line for line in lines if line.product.lower() not in inside]


# --------------------------------------------------------------------------------------------
# Answers
# --------------------------------------------------------------------------------------------


class _Answer:
    """Writes the reply and plans the actions for one intent, from the order and the catalog."""

    def __init__(
        self,
        ctx: TriageContext,
        u: Understanding,
        order: OrderFacts | None,
        decision: _Decision,
        sender: str,
        customer_id: int | None,
        subject_text: str,
        written_at: datetime,
    ) -> None:
        self.ctx, self.u, self.order, self.decision = ctx, u, order, decision
        self.written_at = written_at
        """When the customer wrote: "my order" means one placed in the weeks before that."""
        self.sender, self.customer_id = sender, customer_id
        self.reply = Reply()
        self.actions: list[PlannedAction] = []
        self.acts_on_order = False
        self.apologise = False
        """An upset customer whose order is late: the status answer starts with an apology."""
        self.topics_seen: set[str] = set()
        """Store topics already looked up (answered or not) while writing the reply."""
        self.today = business_day(ctx.now, ctx.timezone)
        subject = u.clean_text.split("\n", 1)
        # What the customer asks, without the subject line: subjects are often generic or stale
        # ("Password reset" over a question about changing an e-mail address).
        self.body_text = (
            subject[1] if len(subject) == 2 and subject_text and subject[0] == subject_text else u.clean_text
        )

    def day(self, value: datetime) -> str:
        return day_text(value, self.ctx.timezone)

    def store_answers(self, among: tuple[str, ...], text: str | None = None) -> tuple[list[str], bool]:
        """Quote the owner's answers (word for word) to the store topics among ``among`` that the
        message asks about; return (the topics asked, whether every one of them had an answer)."""
        said = text or self.body_text
        asked = [
            t for t in knowledge.asked_topics(said) + knowledge.asked_business_topics(said) if t in among
        ]
        self.topics_seen.update(asked)
        answered = True
        for topic in asked:
            answer = self.ctx.policy.faq.get(topic)
            if answer:
                self.reply.say(answer, **{f"faq_{topic}": answer})
            else:
                answered = False
        return asked, answered

    def write(self, intent: str) -> None:
        handler = getattr(self, f"_{intent}", None)
        if handler is None:
            return
        needs_order = intent in ORDER_INTENTS
        if needs_order and self.order is None:
            self.reply.say(
                "Could you send me your order number (it's in your order confirmation email)? "
                "Then I can look into it straight away."
            )
            self.decision.at_most("draft", "the order is not known")
            return
        handler()

    # -- a second ask ----------------------------------------------------------------------------

    def also(self, intent: str) -> bool:
        """Answer a second, simple ask in the same message; False when a person should."""
        text = self.u.clean_text.lower()
        if intent == "praise":
            return True  # a kind word needs no answer of its own
        if intent == "order_status" and self.u.intent in ORDER_CHANGES and self.order is not None:
            # "Please cancel - I haven't had a shipping email yet": the answer to a cancellation or
            # a change says whether the order has left us, and with which tracking if it has.
            return True
        if (
            intent == "change_order"
            and self.u.intent == "change_address"
            and find_address(self.u.clean_text)
            and not (self.u.sizes or self.u.colours or ITEM_CHANGE.search(text))
        ):
            return True  # "Can you change it to 6 Birch Lane, ...?" is the address change itself
        if intent == "shipping_question" and _COUNTRY_PATTERN.search(self.u.clean_text):
            match = _COUNTRY_PATTERN.search(self.u.clean_text)
            assert match is not None
            code = COUNTRIES[match.group(1).lower()]
            if code in self.ctx.ship_countries or not self.ctx.ship_countries:
                return False
            name = COUNTRY_NAMES.get(code) or _country_label(match.group(1))
            self.reply.say(f"About shipping to {name}: at the moment we don't ship there, sorry.")
            return True
        if intent == "account" and re.search(r"newsletter|unsubscribe|stop emailing|mailing list", text):
            if self.customer_id is None:
                return False
            self.actions.append(PlannedAction("unsubscribe", {"customer_id": self.customer_id}))
            self.reply.say("I've also taken you off our email list.")
            return True
        if intent in ("shipping_question", "discount_question", "account", "payment_issue"):
            among = {
                "shipping_question": SHIPPING_TOPICS,
                "discount_question": DISCOUNT_TOPICS,
                "account": ACCOUNT_TOPICS,
                "payment_issue": PAYMENT_TOPICS,
            }[intent]
            if intent == "account" and PERSON_ONLY_ACCOUNT.search(text):
                return False
            asked, answered = self.store_answers(among)
            return bool(asked) and answered
        if intent == "product_question" and self.order is not None:
            item = self._item(self.order)
            if item is None or item.product_id is None:
                return False
            variants = queries.variants_of_product(self.ctx.session, item.product_id, self.today)
            if re.search(r"\bo\w{0,2}her colou?rs|different colou?r", text):
                colours = sorted({v.colour.lower() for v in variants if v.colour})
                if len(colours) > 1:
                    self.reply.say(f"The {item.product} comes in {', '.join(colours)}.")
                elif variants:
                    # The catalog's answer is "no": every variant has the same colour (or none).
                    self.reply.say(
                        f"The {item.product} comes in {colours[0] if colours else 'one colour'} only."
                    )
                else:
                    return False
                return True
            step = (
                1
                if re.search(r"size up|bigger|larger", text)
                else -1
                if re.search(r"size down|smaller", text)
                else 0
            )
            if step and variants and not any(v.size for v in variants):
                self.reply.say(f"The {item.product} comes in one size only.")
                return True
            if step and item.size in SIZE_ORDER:
                index = SIZE_ORDER.index(item.size) + step
                wanted = [
                    v
                    for v in variants
                    if 0 <= index < len(SIZE_ORDER)
                    and v.size == SIZE_ORDER[index]
                    and v.colour == item.colour
                ]
                if len(wanted) == 1:
                    self._availability_sentence(wanted[0], prefix="also_")
                    return True
        return False

    # -- where is my order ---------------------------------------------------------------------

    def _tracking_sentence(self, order: OrderFacts) -> str:
        assert order.shipped_at is not None
        self.reply.note(
            is_shipped=True,
            shipped_on=instant_fact(order.shipped_at),
            carrier=order.carrier,
            tracking_number=order.tracking_number,
        )
        tracking = f", tracking number {order.tracking_number}" if order.tracking_number else ""
        return f"It shipped on {self.day(order.shipped_at)} with {carrier_name(order.carrier)}{tracking}."

    def _where(self, order: OrderFacts) -> None:
        r = self.reply
        r.note(order_number=order.number)
        if order.is_cancelled:
            r.say(f"Order {order.number} was cancelled, so nothing is on its way.", is_cancelled=True)
            self.decision.at_most("draft", "a status question about a cancelled order")
            return
        if order.delivered_at is not None:
            r.say(f"I checked order {order.number}. {self._tracking_sentence(order)}")
            r.say(
                f"The tracking shows it was delivered on {self.day(order.delivered_at)}. If you can't find "
                "it, please check with neighbours or your building, and if it doesn't turn up, reply here "
                f"and I'll open a claim with {carrier_name(order.carrier)}.",
                is_delivered=True,
                delivered_on=instant_fact(order.delivered_at),
            )
            return
        if order.shipped_at is not None:
            if self.apologise:
                r.say("I'm sorry your order is taking longer than it should - here is where it is.")
            r.say(
                f"Your order {order.number} is on its way. {self._tracking_sentence(order)}",
                is_delivered=False,
            )
            if order.tracking_status in TROUBLE_STATUSES:
                trouble = _parcel_trouble(order, self.ctx.now)
                if trouble:
                    self.decision.at_most("escalate", trouble)
            if order.last_event:
                r.say(
                    f'The latest scan says: "{order.last_event}".',
                    last_tracking_event=order.last_event,
                    tracking_status=order.tracking_status,
                )
            estimated = order.estimated_delivery_at
            if estimated is not None:
                late = estimated < self.ctx.now
                r.note(estimated_delivery_on=instant_fact(estimated), is_late=late)
                r.say(
                    f"{carrier_name(order.carrier)} expected to deliver it by "
                    f"{self.day(estimated)}; it's running "
                    "behind, so I'm keeping an eye on it and will chase them if it hasn't moved in two days."
                    if late
                    else f"{carrier_name(order.carrier)} expects to deliver it by {self.day(estimated)}."
                )
            else:
                r.note(is_late=False)
                r.say(
                    f"{carrier_name(order.carrier)} hasn't given a delivery date yet; the tracking link will "
                    "show it as soon as they do."
                )
            return
        r.say(
            f"Your order {order.number} hasn't left us yet - sorry for the wait. You'll get an email with "
            "the tracking number as soon as it ships.",
            is_shipped=False,
        )

    def _order_status(self) -> None:
        assert self.order is not None
        if self.order.is_delivered and (
            self.u.sentiment >= HAPPY_SENTIMENT or not NOT_RECEIVED.search(self.u.clean_text)
        ):
            # "Where is it?" about a parcel that arrived needs the customer to say it is missing.
            self.decision.at_most("draft", "a delivered order, and the message does not say it is missing")
        if self.order.is_delivered and (self.order.returns or self.order.refunds):
            # A delivered order with a return: "where is it?" may well be about the return.
            self.decision.at_most("draft", "the order was delivered and has a return or refund")
        self._where(self.order)

    # -- returns and exchanges -------------------------------------------------------------------

    def _item(self, order: OrderFacts, *, need_size: bool = False) -> LineFacts | None:
        """The order line the customer means: the only one, or the one the text names.

        A product named without its colour or size does not choose between two lines of it.
        """
        lines = [line for line in order.lines if line.size] if need_size else list(order.lines)
        if len(order.lines) == 1:
            return order.lines[0]
        if len(lines) == 1 and need_size:
            return lines[0]
        text = self.u.clean_text.lower()
        mentioned = {mention.sku.lower() for mention in self.u.mentions}
        named = [
            line
            for line in order.lines
            if (line.sku and line.sku.lower() in mentioned)
            or (_words(line.product) and all(w in text for w in _words(line.product)))
        ]
        named = _without_shorter_namesakes(named, text)
        if not named:
            # A short form ("the enamel mug" for "Enamel Camp Mug No. 2") matches the catalog
            # fuzzily, often several products: the order's one line of those products is meant.
            matched = {
                v.product_title for mention in self.u.mentions if (v := self.ctx.catalog.by_sku(mention.sku))
            }
            named = [line for line in order.lines if line.product in matched]
        products = {line.product_id for line in named}
        candidates = [line for line in order.lines if line.product_id in products]
        if len(candidates) == 1:
            return candidates[0]
        # Several lines of the named product(s): only a colour or size written in the text decides,
        # one the customer has, not one asked for ("the mug in charcoal ... for the oat one").
        # When only the one asked for is written ("switch the mug to charcoal"), the line is the
        # one not already in it.
        asked = _asked_values(text)
        written = {size.lower() for size in self.u.sizes} | {c.lower() for c in self.u.colours}
        sizes = {size for size in self.u.sizes if size.lower() not in asked}
        colours = {c.lower() for c in self.u.colours} - asked
        if sizes or colours:
            decided = [
                line
                for line in candidates
                if (line.size in sizes if sizes else True)
                and ((line.colour or "").lower() in colours if colours else True)
            ]
        elif written & asked:
            decided = [
                line
                for line in candidates
                if not {(line.size or "").lower(), (line.colour or "").lower()} & written & asked
            ]
        else:
            decided = []
        return decided[0] if len(decided) == 1 else None

    def _return_window(self, order: OrderFacts) -> tuple[bool, int] | None:
        if order.delivered_at is None:
            return None
        days = (self.ctx.now - order.delivered_at).days
        return days <= self.ctx.policy.return_window_days, days

    def _return_request(self) -> None:
        self._return_or_exchange(exchange=False)

    def _exchange_request(self) -> None:
        if CHANGE_NOT_EXCHANGE.search(self.body_text) and not EXCHANGE_WORDS.search(self.body_text):
            # "can i change my parcel? i'd like the tee in XL instead of L" about a parcel just
            # delivered: the customer asks to change an order, believing it open; a return set up
            # unasked is not the answer they expect.
            self.decision.at_most("draft", "asks to change the order, not to exchange an item")
        self._return_or_exchange(exchange=True)

    def _return_or_exchange(self, *, exchange: bool) -> None:
        order, r, policy = self.order, self.reply, self.ctx.policy
        assert order is not None
        r.note(order_number=order.number)
        window = self._return_window(order)
        if order.returns:
            latest = order.returns[-1]
            r.note(rma_number=latest.rma_number, return_status=latest.status)
            if latest.status in OPEN_RETURN_STATUSES and window is not None and window[0]:
                assert order.delivered_at is not None
                r.say(
                    f"Order {order.number} was delivered on {self.day(order.delivered_at)}, inside our "
                    f"{policy.return_window_days}-day return window, and a return is already open for it: "
                    f"{latest.rma_number}.",
                    return_eligible=True,
                    return_window_days=policy.return_window_days,
                    delivered_on=instant_fact(order.delivered_at),
                )
                if exchange:
                    item = self._item(order, need_size=True)
                    wanted = self._wanted_variant(item) if item is not None else None
                    if wanted is None:
                        self.decision.at_most("draft", "which item or size to exchange for is unclear")
                    else:
                        self._availability_sentence(wanted, prefix="wanted_")
                r.say(
                    "Please put that number inside the parcel and send it back with a tracked service to the "
                    "address on your packing slip; we'll take it from there as soon as it arrives."
                )
                return
            r.say(
                f"There is already a return for order {order.number}: {latest.rma_number} ({latest.status})."
            )
            self.decision.at_most("draft", f"the order already has a return ({latest.status})")
            return
        if window is None:
            r.say(
                f"Order {order.number} hasn't been delivered yet. Once it arrives you can return it within "
                f"{policy.return_window_days} days of delivery - just reply here and I'll set it up.",
                return_window_days=policy.return_window_days,
                is_delivered=False,
            )
            self.decision.at_most("draft", "a return asked before delivery")
            return
        eligible, _ = window
        assert order.delivered_at is not None
        # Eligible while fewer than window + 1 whole days have passed: the last moment is just before that.
        until = order.delivered_at + timedelta(days=policy.return_window_days + 1) - timedelta(microseconds=1)
        r.note(
            return_eligible=eligible,
            return_window_days=policy.return_window_days,
            delivered_on=instant_fact(order.delivered_at),
        )
        item = self._item(order, need_size=exchange)
        if not eligible:
            r.say(
                f"I'm sorry, but our return window is {policy.return_window_days} days from delivery, and "
                f"order {order.number} was delivered on {self.day(order.delivered_at)}, so I can't accept "
                "a return.",
            )
            r.say("If something is faulty, though, reply with a photo and I'll see what I can do.")
            return
        wanted = None
        if exchange:
            if item is None:
                self.decision.at_most("draft", "which item to exchange is unclear")
            else:
                item, wanted = self._line_and_wanted_variant(order, item)
                if wanted is None:
                    self.decision.at_most("draft", "which size or colour the customer wants is unclear")
        if item is not None:
            r.note(item_sku=item.sku)
        lines = [item] if item is not None else list(order.lines)
        rma = self.ctx.take_rma_number()
        self.acts_on_order = True
        reason = _return_reason(self.u.clean_text, exchange)
        self.actions.append(
            PlannedAction(
                "create_return",
                {
                    "order": order.number,
                    "order_id": order.id,
                    "rma_number": rma,
                    "reason": reason,
                    "lines": [
                        {"order_line_id": line.id, "sku": line.sku, "quantity": line.quantity}
                        for line in lines
                    ],
                },
            )
        )
        what = f"the {_item_words(item)}" if item is not None else f"order {order.number}"
        if exchange and item is not None and wanted is not None:
            r.say(f"Happy to help with the exchange - I've set up a return for {what}.", rma_number=rma)
            self._availability_sentence(wanted, prefix="wanted_")
        else:
            r.say(
                f"Of course - order {order.number} was delivered on {self.day(order.delivered_at)}, so it's "
                f"within our {policy.return_window_days}-day window (until {self.day(until)}). "
                f"I've set up a return for {what}.",
                rma_number=rma,
            )
        r.say(f"Your return number is {rma} - please put it inside the parcel.")
        if policy.prepaid_return_label:
            self.actions.append(PlannedAction("buy_return_label", {"order": order.number, "rma_number": rma}))
            r.say(
                f"Your prepaid return label: {LABEL_LINK} - print it, stick it on the parcel and drop it "
                "at any post office.",
                prepaid_label=True,
            )
        else:
            conditions = f" ({policy.return_conditions})" if policy.return_conditions else ""
            r.say(
                f"Please send it back{conditions} with a tracked service to the address on your "
                "packing slip.",
                prepaid_label=False,
            )
        r.say(
            "As soon as it's scanned we'll ship the replacement."
            if exchange and wanted is not None
            else "As soon as it's back and checked we'll refund you to your original payment method."
        )

    def _line_and_wanted_variant(
        self, order: OrderFacts, item: LineFacts
    ) -> tuple[LineFacts, queries.VariantFacts | None]:
        """The line to change or exchange and the variant wanted instead.

        The colour or size a change names is the one wanted ("switch the mug to charcoal"). When
        the order holds that very variant and one other line of the product ("charcoal" and
        "oat" mugs), the line chosen by the named colour is the one the customer already has
        enough of: the other line is the one to change, into the named variant.
        """
        wanted = self._wanted_variant(item)
        if wanted is not None:
            return item, wanted if self._as_asked(wanted) else None
        others = [
            line
            for line in order.lines
            if line.product_id == item.product_id and line.variant_id != item.variant_id
        ]
        if len(others) == 1:
            instead = self._wanted_variant(others[0])
            if instead is not None and instead.variant_id == item.variant_id and self._as_asked(instead):
                return others[0], instead
        return item, None

    def _as_asked(self, wanted: queries.VariantFacts) -> bool:
        """Whether the variant chosen is the one the message asks to get: not one it says it has
        ("the mug in oat ... to charcoal" about an order holding only the charcoal one, as after
        a change already made, wants no oat mug), and the one it asks for when it says so ("to
        charcoal", "for an L")."""
        values = {v.lower() for v in (wanted.colour, wanted.size) if v}
        asked = _asked_values(self.u.clean_text)
        named = {c.lower() for c in self.u.colours} | {s.lower() for s in self.u.sizes}
        targets = asked & named
        return not targets or bool(values & targets)

    def _wanted_variant(self, item: LineFacts) -> queries.VariantFacts | None:
        """The sibling variant the customer asks for: another size or colour of the same product."""
        if item.product_id is None:
            return None
        siblings = queries.variants_of_product(self.ctx.session, item.product_id, self.today)
        # A size said of a product that has none ("I'm usually an S" about a cap) wants nothing of it.
        sizes = [s for s in self.u.sizes if s != item.size] if any(v.size for v in siblings) else []
        colours = [c.lower() for c in self.u.colours if not item.colour or c.lower() != item.colour.lower()]
        if not sizes and not colours:
            return None
        matches = [
            v
            for v in siblings
            if v.variant_id != item.variant_id
            and (v.size in sizes if sizes else v.size == item.size)
            and ((v.colour or "").lower() in colours if colours else v.colour == item.colour)
        ]
        return matches[0] if len(matches) == 1 else None

    def _availability_sentence(self, variant: queries.VariantFacts, prefix: str = "") -> None:
        what = _variant_words(variant)
        facts = {f"{prefix}sku": variant.sku, f"{prefix}in_stock": variant.on_hand > 0}
        if variant.on_hand > 0:
            self.reply.say(f"The {what} is in stock.", **facts)
        elif variant.next_arrival_on is not None:
            facts[f"{prefix}next_arrival_on"] = variant.next_arrival_on.isoformat()
            self.reply.say(
                f"The {what} is sold out right now; it's back around "
                f"{short_day_text(variant.next_arrival_on)}.",
                **facts,
            )
        else:
            facts[f"{prefix}next_arrival_on"] = None
            self.reply.say(f"The {what} is sold out right now, and no restock is scheduled yet.", **facts)

    # -- changes before shipping -----------------------------------------------------------------

    def _too_late(self, order: OrderFacts, what: str) -> None:
        r = self.reply
        r.say(
            f"I'm sorry, order {order.number} has already left our warehouse, so I can't {what} any more.",
            can_modify=False,
        )
        if order.is_shipped:
            r.say(self._tracking_sentence(order))
        else:
            # Marked fulfilled (or partly) with no parcel recorded yet: a person checks what left.
            self.decision.at_most("draft", "the order is being fulfilled but no shipment is recorded")

    def _cancel_order(self) -> None:
        order, r = self.order, self.reply
        assert order is not None
        r.note(order_number=order.number)
        if order.is_cancelled:
            r.say(f"Order {order.number} is already cancelled.", can_modify=False)
            self.decision.at_most("draft", "the order is already cancelled")
            return
        if order.is_shipped or order.fulfillment_status != "unfulfilled":
            self._too_late(order, "cancel it")
            r.say(
                "Once it arrives you can send it back within "
                f"{self.ctx.policy.return_window_days} days - just "
                "reply here and I'll set up the return."
            )
            return
        self.acts_on_order = True
        self.actions.append(
            PlannedAction(
                "cancel_order", {"order": order.number, "order_id": order.id, "refund": order.total}
            )
        )
        total = money_text(order.total, order.currency)
        r.say(
            f"Done - I've cancelled order {order.number}. The payment of {total} goes back to your original "
            "payment method; banks take a few days to show it.",
            can_modify=True,
            order_total=money_fact(order.total, order.currency),
        )

    def _change_address(self) -> None:
        order, r = self.order, self.reply
        assert order is not None
        r.note(order_number=order.number)
        if order.is_shipped or order.is_cancelled or order.fulfillment_status != "unfulfilled":
            if not order.is_shipped:
                r.say(f"Order {order.number} can't be changed any more.", can_modify=False)
                self.decision.at_most("draft", "the order is no longer open")
                return
            self._too_late(order, "change the address")
            r.say(
                f"{carrier_name(order.carrier)} can usually redirect a parcel if you contact them with the "
                "tracking number."
            )
            return
        address = find_address(self.u.clean_text)
        if address is None:
            r.say(
                f"Order {order.number} hasn't shipped yet, so I can still change the address - could you "
                "send me the full new address?",
                can_modify=True,
            )
            self.decision.at_most("draft", "the new address could not be read")
            return
        self.acts_on_order = True
        self.actions.append(
            PlannedAction("change_address", {"order": order.number, "order_id": order.id, "address": address})
        )
        r.say(
            f"Done - order {order.number} hasn't shipped yet, so I've changed the delivery "
            f"address to {address}.",
            can_modify=True,
            new_address=address,
        )

    def _change_order(self) -> None:
        order, r = self.order, self.reply
        assert order is not None
        r.note(order_number=order.number)
        if order.is_shipped or order.is_cancelled or order.fulfillment_status != "unfulfilled":
            if not order.is_shipped:
                r.say(f"Order {order.number} can't be changed any more.", can_modify=False)
                self.decision.at_most("draft", "the order is no longer open")
                return
            if order.is_delivered and order.delivered_at is not None:
                # "Swap the mug in oat for a charcoal" about a parcel already delivered is an
                # exchange, which the reading missed: "once it arrives, send it back" would be wrong.
                r.say(
                    f"Order {order.number} was delivered on {self.day(order.delivered_at)}, so it can't be "
                    "changed any more, but it can be exchanged.",
                    can_modify=False,
                    delivered_on=instant_fact(order.delivered_at),
                )
                if not JUST_ORDERED.search(self.body_text):
                    self.decision.at_most("draft", "a change asked about a delivered order (an exchange?)")
                return
            self._too_late(order, "change it")
            r.say(
                "Once it arrives you can send it back within "
                f"{self.ctx.policy.return_window_days} days - just "
                "reply here and I'll set up the return."
            )
            return
        item = self._item(order, need_size=True)
        item, wanted = self._line_and_wanted_variant(order, item) if item is not None else (None, None)
        if item is None or wanted is None:
            r.say(
                f"Order {order.number} hasn't shipped yet, so I can still change it - could you tell me "
                "exactly which item and which size or colour you'd like?",
                can_modify=True,
            )
            self.decision.at_most("draft", "the change asked for is unclear")
            return
        r.note(can_modify=True, item_sku=item.sku)
        if wanted.on_hand <= 0:
            r.say(f"Order {order.number} hasn't shipped yet, so it can still be changed.")
            self._availability_sentence(wanted, prefix="wanted_")
            r.say("Would you like to wait for it, or keep the original?")
            self.decision.at_most("draft", "the wanted variant is out of stock")
            return
        self.acts_on_order = True
        self.actions.append(
            PlannedAction(
                "change_item",
                {
                    "order": order.number,
                    "order_id": order.id,
                    "order_line_id": item.id,
                    "from_sku": item.sku,
                    "to_sku": wanted.sku,
                    "to_variant_id": wanted.variant_id,
                },
            )
        )
        r.say(
            f"Done - order {order.number} hasn't shipped yet, so I've changed the {_item_words(item)} to the "
            f"{_variant_words(wanted)}.",
            wanted_sku=wanted.sku,
            wanted_in_stock=True,
        )

    # -- money -----------------------------------------------------------------------------------

    def _refund_status(self) -> None:
        order, r = self.order, self.reply
        assert order is not None
        r.note(order_number=order.number)
        if order.refunds:
            last = max(order.refunds, key=lambda refund: refund.refunded_at)
            total = sum((refund.amount for refund in order.refunds), Decimal(0))
            r.say(
                f"Your refund of {money_text(total, order.currency)} for order {order.number} was issued on "
                f"{self.day(last.refunded_at)} to your original payment method.",
                is_refunded=True,
                refund_amount=money_fact(total, order.currency),
                refunded_on=instant_fact(last.refunded_at),
            )
            r.say("Banks usually take 3-5 business days to show it on your statement.")
            return
        r.note(is_refunded=False)
        if not order.returns:
            r.say(f"I can't see a return for order {order.number} yet - could you send me its return number?")
            self.decision.at_most("draft", "no return or refund on the order")
            return
        first = order.returns[0]
        r.note(rma_number=first.rma_number, return_status=first.status)
        if first.received_at is not None:
            r.say(
                f"We received your return {first.rma_number} on {self.day(first.received_at)}; it's being "
                "checked now and the refund will follow within a few days.",
                return_received=True,
            )
            return
        tracking = (
            f" (return tracking {first.return_tracking_number})" if first.return_tracking_number else ""
        )
        r.say(
            f"Your return {first.rma_number} hasn't reached us yet{tracking}. As soon as it "
            "does, we'll check "
            "it and refund you.",
            return_received=False,
        )

    def _order_free(self, asked: list[str]) -> bool:
        """Whether what was asked cannot be about an order already placed: the store's current
        offers ("any promo codes at the moment?", "a student discount?"), with nothing in the
        message speaking of a placed order."""
        if not asked or not set(asked) <= ORDER_FREE_TOPICS:
            return False
        if PLACED_ORDER_TALK.search(self.body_text):
            return False
        # "I signed up but never got the code" or "any promo codes at the moment?" from someone
        # whose order of the weeks before carries a code: the offers' description ("10 % off your
        # first order") misses that a code was used, and the question may be about that order (a
        # second code, a better one); a person looks first.
        return not any(self.ctx.order(i).discount_codes for i in self._lately_ordered()[:STATE_ORDERS])

    def _lately_ordered(self) -> list[int]:
        """The sender's orders of the LATELY_DAYS before the message was written."""
        since = self.written_at - timedelta(days=LATELY_DAYS)
        return queries.orders_of_sender(self.ctx.session, self.sender, self.customer_id, since)

    def _has_recent_order(self) -> bool:
        """Whether the sender has an order from the last weeks the message could be about without
        naming it: then a general answer may miss the point, and a person looks first."""
        if self.sender.endswith("@" + AMAZON_RELAY):
            return True  # Amazon's relay only carries messages about an Amazon order
        return bool(self._lately_ordered())

    def _payment_issue(self) -> None:
        order, r = self.order, self.reply
        if order is None:
            asked, answered = self.store_answers(PAYMENT_TOPICS)
            if asked and answered and (self._order_free(asked) or not self._has_recent_order()):
                return
            self.reply = r = Reply()
            r.say(
                "Sorry about the trouble at checkout. Could you tell me which payment method you used and "
                "what the error says? I'll look into it."
            )
            self.decision.at_most("draft", "a payment problem without an order")
            return
        r.say(
            f"I checked order {order.number}: its total is {money_text(order.total, order.currency)} and the "
            f"payment shows as {order.financial_status.replace('_', ' ')}.",
            order_number=order.number,
            financial_status=order.financial_status,
            order_total=money_fact(order.total, order.currency),
        )
        asked, answered = self.store_answers(PAYMENT_TOPICS)
        if asked and not answered:
            self.decision.at_most("draft", "a payment question the store's answers do not cover")

    def _discount_question(self) -> None:
        order, r = self.order, self.reply
        if order is None:
            asked, answered = self.store_answers(DISCOUNT_TOPICS)
            if asked and answered and (self._order_free(asked) or not self._has_recent_order()):
                return
            self.reply = r = Reply()
            r.say("Could you send me the code and your order number? I'll check it for you.")
            self.decision.at_most("draft", "a discount question without an order")
            return
        codes = order.discount_codes
        if codes:
            r.say(
                f"Order {order.number} has the code {codes} applied, so the discount is already "
                "in the total.",
                order_number=order.number,
                discount_codes=codes,
            )
            asked, answered = self.store_answers(DISCOUNT_TOPICS)
            if asked and not answered:
                # "Do you have any promo codes at the moment?" is not answered by the code applied.
                self.decision.at_most("draft", "a code question the store's answers do not cover")
        else:
            r.say(
                f"I checked order {order.number} and no discount code was applied to it.",
                order_number=order.number,
                discount_codes=None,
            )
            asked, answered = self.store_answers(DISCOUNT_TOPICS)
            if not (asked and answered):
                self.decision.at_most("draft", "whether a code can still be applied is the owner's call")

    # -- no order needed -------------------------------------------------------------------------

    def _product_question(self) -> None:
        r = self.reply
        mentions = [mention for mention in self.u.mentions if mention.variant_id is not None]
        if not mentions:
            r.say("Which product do you mean? Send me its name or a link and I'll check.")
            self.decision.at_most("draft", "the product asked about was not recognised")
            return
        product_id = self._product_meant(mentions)
        if product_id is None:
            r.say("Which product do you mean? Send me its name or a link and I'll check.")
            self.decision.at_most("draft", "the message could mean more than one product")
            return
        variants = queries.variants_of_product(self.ctx.session, product_id, self.today)
        if not variants:
            return
        product = variants[0].product
        asked_sizes = _asked_sizes(self.u.clean_text, self.u.sizes)
        sizes = [s for s in asked_sizes if any(v.size == s for v in variants)]
        colours = [c for c in self.u.colours if any((v.colour or "").lower() == c.lower() for v in variants)]
        wanted_colours = {c.lower() for c in colours}
        asked = [
            v
            for v in variants
            if (not sizes or v.size in sizes) and (not colours or (v.colour or "").lower() in wanted_colours)
        ]
        is_availability = bool(AVAILABILITY.search(self.u.clean_text))
        if is_availability and not sizes and RELATIVE_SIZE.search(self.u.clean_text):
            # "Do you have the same one in a size up?": up from a size only the customer knows.
            self.decision.at_most("draft", "asks for a size up or down from one it does not name")
        r.note(product=product)
        aspects = knowledge.asked_aspects(self.body_text)
        if aspects:
            # What it is made of, how to wash it, how long it is: only the owner's answers know.
            r.say(
                f"Thanks for asking! The {product} comes in {_offer_words(variants)}.", sizes=_sizes(variants)
            )
            if self._product_answers(product_id, aspects):
                return
            r.say("Materials, measurements and care instructions are under Details on the product page.")
            self.decision.at_most("draft", "a product question the catalog data does not fully answer")
            return
        if not is_availability:
            # Sizes or colours named in passing ("I'm usually an L") do not make it a stock question.
            r.say(
                f"Thanks for asking! The {product} comes in {_offer_words(variants)}.", sizes=_sizes(variants)
            )
            if SIZING.search(self.u.clean_text) and self._fit_from_returns(product_id, variants):
                return
            r.say("Materials, measurements and care instructions are under Details on the product page.")
            self.decision.at_most("draft", "a product question the catalog data does not fully answer")
            return
        unknown_options = [s for s in asked_sizes if s not in sizes] + [
            c for c in self.u.colours if c.lower() not in {x.lower() for x in colours}
        ]
        if unknown_options and not (sizes or colours):
            r.say(
                f"The {product} doesn't come in {' / '.join(unknown_options)}, sorry - it comes in "
                f"{_offer_words(variants)}.",
                offered=_offer_words(variants),
            )
            return
        if (sizes or colours) and len(asked) == 1:
            variant = asked[0]
            r.note(size=variant.size if sizes else None, colour=variant.colour if colours else None)
            self._availability_sentence(variant)
            self.reply.note(availability=_availability_map(asked))
            return
        r.say(f"Thanks for asking! The {product} comes in {_offer_words(variants)}.", sizes=_sizes(variants))
        group = asked if (sizes or colours) else variants
        in_stock = [v for v in group if v.on_hand > 0]
        sold_out = [v for v in group if v.on_hand <= 0]
        which = f"In {' / '.join([*colours, *sizes]).lower()}" if (sizes or colours) else "Right now"
        if not sold_out:
            r.say(f"{which}, every option is in stock.")
        elif not in_stock:
            r.say(f"{which}, it's sold out{_restock_words(sold_out)}.")
        else:
            r.say(
                f"{which}, in stock: {', '.join(_variant_words(v, short=True) for v in in_stock)}; sold out: "
                f"{', '.join(_variant_words(v, short=True) for v in sold_out)}{_restock_words(sold_out)}."
            )
        r.note(availability=_availability_map(group))

    def _product_answers(self, product_id: int, aspects: list[str]) -> bool:
        """Quote what the owner wrote about the asked aspects of the product (its own entry, else
        its category's); False unless every one of them has an answer."""
        handle, category = queries.product_handle_and_category(self.ctx.session, product_id)
        answers = [(a, knowledge.product_answer(self.ctx.policy.faq, a, handle, category)) for a in aspects]
        if not answers or any(answer is None for _, answer in answers):
            return False
        for aspect, answer in answers:
            assert answer is not None
            self.reply.say(answer, **{f"faq_{aspect}": answer})
        return True

    def _fit_from_returns(self, product_id: int, variants: list[queries.VariantFacts]) -> bool:
        """Answer 'does it run small?' from what customers sent back for fit in the last year."""
        if not _sizes(variants):
            self.reply.say("It's one size, so there's no size to choose.", one_size=True)
            return True
        sold, too_small, too_large = queries.fit_returns(
            self.ctx.session, product_id, self.ctx.now - timedelta(days=365)
        )
        if sold < FIT_MIN_SOLD:
            return False
        small_share, large_share = too_small / sold, too_large / sold
        if too_small >= 2 * max(too_large, 1) and small_share >= FIT_SIGNAL_SHARE:
            advice = "it runs a little small, so if you're between sizes I'd go one up"
        elif too_large >= 2 * max(too_small, 1) and large_share >= FIT_SIGNAL_SHARE:
            advice = "it runs a little large, so if you're between sizes I'd go one down"
        else:
            advice = "it fits true to size for most customers, so your usual size should be right"
        self.reply.say(
            f"Of the {sold:,} we sent out in the last year, {too_small} came back as too small "
            f"and {too_large} as "
            f"too large - so {advice}.",
            fit_sold=sold,
            fit_too_small=too_small,
            fit_too_large=too_large,
        )
        return True

    def _product_meant(self, mentions: list[CatalogMention]) -> int | None:
        """The product the message is about: the best match, unless another is as good; a title
        written out in full beats one it contains ('Soy Candle No. 2' over 'Soy Candle')."""
        best_score = mentions[0].score
        products: dict[int, str] = {}
        for mention in mentions:
            if mention.score < best_score - AMBIGUOUS_SCORE_GAP:
                continue
            found = queries.variant_by_id(self.ctx.session, mention.variant_id or 0)
            if found is not None:
                products[found[0]] = queries.product_title(self.ctx.session, found[0])
        if len(products) == 1:
            return next(iter(products))
        text = _normalise(self.u.clean_text)
        written = [
            pid for pid, title in products.items() if re.search(rf"\b{re.escape(_normalise(title))}\b", text)
        ]
        if not written:
            return None
        longest = max(len(products[pid]) for pid in written)
        chosen = [pid for pid in written if len(products[pid]) == longest]
        return chosen[0] if len(chosen) == 1 else None

    def _shipping_question(self) -> None:
        r, ctx = self.reply, self.ctx
        match = _COUNTRY_PATTERN.search(self.u.clean_text)
        code = COUNTRIES[match.group(1).lower()] if match else None
        shipped = [COUNTRY_NAMES.get(c, c) for c in ctx.ship_countries[:5]]
        if not shipped:
            topics, answered = self.store_answers(SHIPPING_TOPICS)
            if not (topics and answered):
                self.decision.at_most("escalate", "the store has no shipping history to answer from")
            return
        where = (
            " and ".join(shipped) if len(shipped) <= 2 else ", ".join(shipped[:-1]) + " and " + shipped[-1]
        )
        if code is not None and match is not None:
            asked = COUNTRY_NAMES.get(code) or _country_label(match.group(1))
            ships = code in ctx.ship_countries
            r.note(country=asked, ships_to_country=ships)
            if not ships:
                r.say(f"At the moment we only ship to {where}, so not to {asked} yet, sorry.")
                topics, answered = self.store_answers(SHIPPING_TOPICS)
                # "how much to ship to the UK?": a price asked that no store answer was found for.
                if not answered or (not topics and UNANSWERABLE_SHIPPING.search(self.u.clean_text)):
                    self.decision.at_most("draft", "a shipping question the store's answers do not cover")
                return
        if ctx.transit_days is not None:
            typical, slow = ctx.transit_days
            r.say(
                f"Orders usually arrive {typical}-{max(slow, typical + 1)} days after they ship, "
                "with a tracking "
                "number as soon as they leave us."
            )
        topics, answered = self.store_answers(SHIPPING_TOPICS)
        if not answered or (not topics and (code is None or UNANSWERABLE_SHIPPING.search(self.u.clean_text))):
            self.decision.at_most("draft", "a shipping question beyond destinations and transit times")

    def _account(self) -> None:
        text = self.body_text.lower()
        if (
            re.search(r"unsubscribe|stop emailing|take me off|newsletter|mailing list", text)
            and self.customer_id
        ):
            self.actions.append(PlannedAction("unsubscribe", {"customer_id": self.customer_id}))
            self.reply.say(
                "Done - I've taken you off our email list; it can take a day or two to stop completely."
            )
            return
        if not PERSON_ONLY_ACCOUNT.search(text):
            asked, answered = self.store_answers(ACCOUNT_TOPICS)
            if asked and answered:
                return
            self.reply = Reply()
        self.reply.say(
            "Thanks for getting in touch - I'm looking into this and will come back to you shortly."
        )
        self.decision.at_most("draft", "account changes are made by a person")

    def _praise(self) -> None:
        item = None
        if self.order is not None:
            item = self._item(self.order)
        self.reply.say(
            f"Thank you so much - this made my day! I'm so glad you like the {_item_words(item)}."
            if item is not None
            else "What a lovely message, thank you! I've shared it with the whole team."
        )

    def _spam(self) -> None:
        self.actions.append(PlannedAction("mark_spam", {"sender": self.sender}))

    def _other(self) -> None:
        if answered_business_topics(self.ctx.policy, self.u, self.body_text):
            self.store_answers(knowledge.BUSINESS_TOPICS)
            return
        self.reply.say("Thanks for getting in touch - I'll come back to you shortly.")
        self.decision.at_most("escalate", "no store answer covers it: a person reads it")

    # -- for a person ----------------------------------------------------------------------------

    def _wrong_item(self) -> None:
        self._faulty("wrong")

    def _damaged_item(self) -> None:
        self._faulty("damaged")

    def _faulty(self, what: str) -> None:
        order, r = self.order, self.reply
        assert order is not None
        item = self._item(order) or (order.lines[0] if order.lines else None)
        r.note(order_number=order.number)
        thing = f"the {_item_words(item)}" if item is not None else "your item"
        r.say(
            f"I'm so sorry about {thing} from order {order.number}. Could you send me a photo of it "
            "(and of the packing slip)? Then I'll sort out a replacement or a refund straight away."
        )
        self.actions.append(PlannedAction("request_photos", {"order": order.number}))
        if item is not None:
            self.actions.append(PlannedAction("suggest_resolution", self._resolution(order, item, what)))

    def _resolution(self, order: OrderFacts, item: LineFacts, what: str) -> dict[str, Any]:
        """Reship when the item is in stock (cost: its unit cost + a label), else refund what was paid."""
        session = self.ctx.session
        unit_cost = (
            session.scalar(select(m.Variant.unit_cost).where(m.Variant.id == item.variant_id))
            if item.variant_id
            else None
        )
        on_hand = (
            queries.stock_on_hand(session, [item.variant_id]).get(item.variant_id, 0)
            if item.variant_id
            else 0
        )
        label = session.scalar(
            select(m.Shipment.label_cost).where(m.Shipment.order_id == order.id).order_by(m.Shipment.id)
        ) or Decimal(0)
        paid = item.unit_price
        if on_hand > 0 and unit_cost is not None:
            return {
                "order": order.number,
                "problem": what,
                "item_sku": item.sku,
                "resolution": "reship",
                "cost": unit_cost + label,
                "currency": order.currency,
                "basis": "unit cost + outbound label",
            }
        return {
            "order": order.number,
            "problem": what,
            "item_sku": item.sku,
            "resolution": "refund",
            "cost": paid,
            "currency": order.currency,
            "basis": "price paid for one unit" + ("" if on_hand > 0 else " (out of stock, cannot reship)"),
        }

    def _complaint(self) -> None:
        r = self.reply
        r.say("I'm really sorry to hear this - thank you for telling us.")
        if self.order is not None:
            self._where(self.order)


def _normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _words(title: str) -> list[str]:
    return [
        w for w in re.findall(r"[a-z]+", title.lower()) if len(w) > 2 and w not in {"the", "and", "with"}
    ][:2]


def _item_words(item: LineFacts | None) -> str:
    if item is None:
        return "item"
    return item.title if item.title else item.product


def _variant_words(variant: queries.VariantFacts, short: bool = False) -> str:
    options = [o for o in (variant.colour, variant.size) if o]
    if short:
        return " / ".join(options) or variant.sku
    return f"{variant.product} ({' / '.join(options)})" if options else variant.product


def _availability_map(variants: Iterable[queries.VariantFacts]) -> dict[str, dict[str, Any]]:
    return {
        v.sku: {
            "in_stock": v.on_hand > 0,
            "next_arrival_on": v.next_arrival_on.isoformat()
            if v.on_hand <= 0 and v.next_arrival_on
            else None,
        }
        for v in variants
    }


def _restock_words(sold_out: list[queries.VariantFacts]) -> str:
    """' (back around 12 March)' when every sold-out option has the same next delivery, else per option."""
    days = {v.next_arrival_on for v in sold_out}
    if days == {None}:
        return " with no restock scheduled yet"
    if len(days) == 1:
        (day,) = days
        assert day is not None
        return f" (back around {short_day_text(day)})"
    parts = [
        f"{_variant_words(v, short=True)} back around {short_day_text(v.next_arrival_on)}"
        for v in sold_out
        if v.next_arrival_on
    ]
    return " (" + "; ".join(parts) + ")"


def _asked_sizes(text: str, sizes: Iterable[str]) -> list[str]:
    """The sizes a message names outside the sentences telling the size the customer usually
    wears: "I'm usually a L in most brands. Is the tee in sand going to be restocked?" asks about
    the sand tee, every size of it."""
    elsewhere = set(sizes_in(" ".join(s for s in SENTENCE_END.split(text) if not USUAL_SIZE.search(s))))
    return [size for size in sizes if size in elsewhere]


def _sizes(variants: Iterable[queries.VariantFacts]) -> list[str]:
    return list(dict.fromkeys(v.size for v in variants if v.size))


def _offer_words(variants: list[queries.VariantFacts]) -> str:
    sizes = _sizes(variants)
    colours = sorted({v.colour for v in variants if v.colour})
    parts = []
    if sizes:
        parts.append("sizes " + ", ".join(sizes))
    if colours:
        parts.append(("colours " if len(colours) > 1 else "colour ") + ", ".join(c.lower() for c in colours))
    return " and ".join(parts) if parts else "one version"


def _country_label(text: str) -> str:
    words = text.strip()
    return " ".join(w if w.lower() == "the" else w[:1].upper() + w[1:] for w in words.split()).replace(
        "The ", "the "
    )


def _return_reason(text: str, exchange: bool) -> str:
    lowered = text.lower()
    if re.search(r"too (small|tight|short)|smaller than|size up", lowered):
        return "too_small"
    if re.search(r"too (big|large|long|loose)|size down", lowered):
        return "too_large"
    if re.search(r"not as (described|pictured)|looks different|colour is off|color is off", lowered):
        return "not_as_described"
    return "changed_mind"
