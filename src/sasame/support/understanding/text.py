"""Turn an email body into the text a customer actually wrote this time.

Quoted replies ("On ... wrote:", "> " lines, Outlook "From:/Sent:" blocks, forwarded headers),
signatures ("-- ", "Sent from my iPhone", sign-offs followed by a name) and HTML markup are
removed, because the classifier must read the new ask, not the shop's earlier answer.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<[^>]+>")
_BLOCK_TAGS = re.compile(r"(?i)<\s*(br|/p|/div|/li|/tr|/h[1-6]|p|div|li|tr)\b[^>]*>")
_SCRIPT_STYLE = re.compile(r"(?is)<(script|style|head)\b.*?</\1\s*>")
_HTML_QUOTE = re.compile(r"(?is)<blockquote\b.*?</blockquote\s*>")

_QUOTE_HEADERS = (
    # Gmail / Apple Mail / Thunderbird: "On Tue, 3 Mar 2026 at 10:02, Shop <a@b> wrote:" (may wrap)
    re.compile(r"(?im)^\s*On\b[^\n]{0,300}?(\n[^\n]{0,200}?)?\bwrote:\s*$"),
    re.compile(r"(?im)^\s*Le\b[^\n]{0,300}?a écrit\s*:\s*$"),
    re.compile(r"(?im)^\s*Am\b[^\n]{0,300}?schrieb[^\n]{0,100}:\s*$"),
    # Outlook: a "From:" line followed within a few lines by "Sent:" or "Date:"
    re.compile(r"(?im)^\s*\**From:\**\s[^\n]*\n(?:[^\n]*\n){0,2}\s*\**(Sent|Date):\**\s"),
    re.compile(r"(?im)^\s*-{2,}\s*(Original Message|Forwarded message|Begin forwarded message)\b.*$"),
    re.compile(r"(?im)^\s*Begin forwarded message:\s*$"),
    re.compile(r"(?im)^_{10,}\s*$"),
)
_SIGNATURE_MARKERS = (
    re.compile(r"(?m)^-- ?$"),
    re.compile(
        r"(?im)^\s*(Sent from my \w[^\n]*|Sent from (Mail|Outlook|Yahoo Mail)[^\n]*|Get Outlook for \w+)\s*$"
    ),
)
_SIGN_OFF = re.compile(
    r"(?im)^\s*(thanks( again| so much| a lot| in advance)?|thank you( so much| in advance)?|many thanks|"
    r"cheers|best( regards| wishes)?|kind regards|regards|warm regards|sincerely|yours( sincerely| truly)?|"
    r"all the best|take care|br|thx|ty|xx+|love)\s*[,.!]*\s*$"
)


def html_to_text(markup: str) -> str:
    """Return readable text from an HTML body (quoted blocks dropped, entities decoded)."""
    markup = _SCRIPT_STYLE.sub(" ", markup)
    markup = _HTML_QUOTE.sub("\n", markup)
    markup = _BLOCK_TAGS.sub("\n", markup)
    text = html.unescape(_TAG.sub("", markup))  # inline tags (b, span, a) join words as a browser does
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def looks_like_html(body: str) -> bool:
    return bool(re.search(r"(?i)<\s*(html|body|div|p|br|span|table|blockquote)\b", body))


def strip_quoted(text: str) -> str:
    """Cut the text at the first quoted-reply header and drop '>' lines."""
    cut = len(text)
    for pattern in _QUOTE_HEADERS:
        match = pattern.search(text)
        if match and match.start() < cut:
            cut = match.start()
    text = text[:cut]
    kept = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(kept)


def strip_signature(text: str) -> str:
    """Drop a signature block: from '-- ' / 'Sent from my ...', or a sign-off line near the end."""
    for pattern in _SIGNATURE_MARKERS:
        match = pattern.search(text)
        if match:
            text = text[: match.start()]
    lines = text.rstrip().splitlines()
    # A sign-off ("Thanks," / "Best regards") in the last few lines starts the signature: what
    # follows is a name, a phone number, an address, never the request.
    for index in range(len(lines) - 1, max(-1, len(lines) - 7), -1):
        if _SIGN_OFF.match(lines[index]):
            lines = lines[:index]
            break
    return "\n".join(lines)


def clean_body(body: str) -> str:
    """Return the new text of an email body: HTML to text, quotes and signature removed."""
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    if looks_like_html(text):
        text = html_to_text(text)
    text = strip_signature(strip_quoted(text))
    lines = [line.rstrip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_MARKETPLACE_ENVELOPE = re.compile(
    r"(?i)^\s*(?:inquiry|enquiry|message|question)s?\s+from\s+(?:an?\s+)?(?:amazon|etsy|ebay)?\s*"
    r"(?:customer|buyer)\b[^(]*?(\((?:order|receipt)[^)]*\))?\s*$"
)


_REPLY_PREFIXES = re.compile(r"(?i)^(\s*(re|fw|fwd|aw|wg|tr|sv)\s*(\[\d+\])?\s*:\s*)+")


def clean_subject(subject: str) -> str:
    """Drop reply/forward prefixes ('Re: Fwd: AW:') and marketplace envelopes from a subject.

    Amazon's buyer-seller messages arrive as "Inquiry from Amazon customer Ann Lee (Order:
    112-...)": the words say nothing about the ask (only the order number matters), so the
    subject keeps just the order part.
    """
    text = _REPLY_PREFIXES.sub("", subject or "").strip()
    envelope = _MARKETPLACE_ENVELOPE.match(text)
    if envelope:
        return (envelope.group(1) or "").strip("() ")
    return text


def quotes_earlier_mail(body: str) -> bool:
    """Whether a body quotes an earlier mail (a reply header or '>' lines)."""
    text = body.replace("\r\n", "\n")
    return strip_quoted(text).strip() != text.strip()


def intent_subject(subject: str, body: str = "") -> str:
    """Return the subject as the intent classifier reads it: a marketplace envelope is empty, and
    so is the subject of a reply that quotes the mail it answers.

    The envelope is written by the marketplace, the same for every ask, so even its order part
    ("Order: 112-...") would only pull every relayed message towards "where is my order?". A
    reply's "Re: Order #1001 has shipped" is the quoted mail's subject, written by whoever wrote
    that mail (the shop's own notification, most often), not the customer's new ask, which is in
    the new text. (The order number stays in ``clean_subject`` for the references.)
    """
    if _MARKETPLACE_ENVELOPE.match(_REPLY_PREFIXES.sub("", subject or "").strip()):
        return ""
    if _REPLY_PREFIXES.match(subject or "") and quotes_earlier_mail(body):
        return ""
    return clean_subject(subject)


_COURTESY_SENTENCE = re.compile(
    r"(?i)^\W*(?:"
    r"(?:i )?hope (?:you(?:'re| are)(?: all)?|all is|everyone is|this (?:e-?mail|message|note) finds you)"
    r"(?: doing)? (?:well|good|great|ok)(?: today)?"
    r"|(?:i'?m |i am )?looking forward to (?:hearing from you|your (?:reply|response|answer))(?: soon)?"
    r"|hope to hear (?:back |from you )?soon"
    r"|let me know(?: what you think| if you need anything(?: else)?(?: from me)?)?"
    r"|(?:thanks|thank you|many thanks)(?: so much| a lot| very much)?(?: in advance)?"
    r"(?: for (?:your|the|any) (?:help|time|assistance|support))?"
    r"|(?:any help|anything you can do) (?:would be|is) (?:great|appreciated|much appreciated|welcome)"
    r"|(?:i )?appreciate (?:it|any help|your help)"
    r"|sorry to bother you|sorry for the (?:trouble|hassle)"
    r"|(?:just )?(?:a )?quick question|i have a question"
    r"|(?:i was |i'm |i am )?hoping you (?:can|could) help(?: me)?(?: with something| out)?"
    r"|(?:i )?need (?:some )?help(?: please)?"
    r"|have a (?:nice|great|good|lovely) (?:day|weekend|week)"
    r")\W*$"
)
_GREETING_SENTENCE = re.compile(
    r"^\W*(?:[Hh]i|[Hh]ello|[Hh]ey|[Hh]iya|[Dd]ear|[Gg]ood (?:[Mm]orning|[Aa]fternoon|[Ee]vening|[Dd]ay)|"
    r"[Gg]reetings|[Tt]o whom it may concern)"
    r"(?:\s+(?:there|all|team|guys|folks|everyone|customer|service|support|sir|or|madam|friends|"
    r"[A-Z][\w.&'-]*)){0,6}\W*$"
)
"""A greeting and whom it greets ("Dear customer service!", "Hi Sasame Goods Co."), case kept:
capitalised words are names, so "Hi I need to cancel" is no greeting sentence."""
SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\bCo\.)(?<!\bInc\.)(?<!\bLtd\.)(?<!\bNo\.)\s+|\n+")
"""Where a sentence ends: after '.', '!' or '?' (not the abbreviation in "Sasame Goods Co. team"
or "Mug No. 2") and at a line break."""


def without_courtesy(text: str) -> str:
    """Drop the sentences that are nothing but courtesy ("I hope you're well.", "Thanks in
    advance for your help!", "Looking forward to hearing from you.") or a greeting ("Dear
    customer service!"), for the intent classifier.

    They ask nothing, yet every word of them dilutes the ask's features in the normalised tf-idf
    vector, so a plain "where is my order?" wrapped in three of them read as less sure. A text
    that is nothing but courtesy is kept whole (a thank-you is then the message).
    """
    sentences = [s for s in SENTENCE_END.split(text) if s.strip()]
    kept = [
        s
        for s in sentences
        if not (_COURTESY_SENTENCE.match(s.strip()) or _GREETING_SENTENCE.match(s.strip()))
    ]
    return "\n".join(kept) if kept else text
