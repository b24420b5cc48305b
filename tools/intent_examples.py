"""Hand-written training examples for the intents the public data lacks or covers thinly.

Written for sasame (not taken from any dataset, and not from the demo store's generator): e-mail
asks of a small online shop's customers, with slots the composer fills with invented values.
``examples(seed)`` expands them deterministically into training sentences, some with a greeting,
an order reference, a detail sentence, lower case or a typo, so the model sees e-mail-like text.
"""

from __future__ import annotations

import random

ASKS: dict[str, list[str]] = {
    "order_status": [
        "The tracking hasn't changed for a week, is my parcel lost?",
        "Where is {ref}?",
        "Can you tell me when {ref} will arrive?",
        "I ordered {days} ago and still have nothing. Where is it?",
        "Has {ref} shipped yet?",
        "Any update on {ref}? The tracking hasn't moved in days.",
        "My parcel still hasn't arrived, can you check {ref}?",
        "The tracking says it's stuck at the depot, what is going on with my package?",
        "When will my {item} be delivered?",
        "Could you send me the tracking number for {ref}?",
        "It's been {days} and my order is not here yet.",
        "I haven't received my package, {ref}.",
        "Is my order on its way? I need it by Friday.",
        "What's the status of {ref} please?",
        "Tracking shows delivered but I never got the parcel",
        "Still waiting on my delivery, {ref}, can you look into it?",
        "The {carrier} link you sent doesn't show anything, has it actually been sent?",
        "Just checking whether {ref} has been dispatched",
        "my order hasnt come yet, when will it get here",
        "Expected delivery was yesterday and nothing arrived. Where's my stuff?",
        "Can you confirm my order went out? I haven't had a shipping email.",
        "wheres my package",
        "How long until {ref} gets to me?",
        "The estimated delivery date has passed. Please tell me where my parcel is.",
        "I placed an order {days} ago, when does it ship?",
    ],
    "return_request": [
        "I'd like to send the {item} back, it's not what I hoped.",
        "The {item} didn't work out, can I return it for a refund?",
        "I would like to return the {item} from {ref}.",
        "How do I send back {ref}? It doesn't fit.",
        "Can I return the {item}? It's too {fit}.",
        "I want to return my order and get my money back.",
        "Please send me a return label for {ref}.",
        "The {item} isn't what I expected, I'd like to return it.",
        "Is it too late to return something I bought {days} ago?",
        "Can you start a return for {ref}? Unworn, tags still on.",
        "I need to return one item from my order, how does that work?",
        "I'd like a refund for the {item}, I'll send it back.",
        "What is your return policy? I want to send back a jacket.",
        "Return request for {ref} please, the colour looks different in person.",
        "i want to return this, doesnt suit me",
        "How can I get a return label?",
        "I changed my mind about the {item}, can I send it back for a refund?",
        "Could you arrange a return? The quality is not for me.",
        "I'd like to return the whole order {ref}.",
        "Do I have to pay for return shipping if I send the {item} back?",
    ],
    "exchange_request": [
        "Could I exchange it for one size down?",
        "Can I exchange the {item} for a size {size}?",
        "The {item} is too {fit}, could I swap it for a {size}?",
        "I'd like to exchange {ref} for a different colour, {colour} if you have it.",
        "Is it possible to exchange rather than return? I need the next size up.",
        "Could you send me a {size} instead and I'll send this one back?",
        "I want to swap my {item} for the {colour} one.",
        "Exchange please: size {size} instead of the one I got in {ref}.",
        "The fit is off, can I trade it for a smaller size?",
        "How do exchanges work? I'd like the same {item} one size bigger.",
        "can i change the {item} i received for a {size}",
        "I love the style but it's too {fit}, can I exchange it for a {size}?",
        "Would you exchange the {item} for another colour?",
        "I'd rather have the {colour} version, can I switch?",
        "Please exchange my {item} for size {size}, same colour.",
    ],
    "change_order": [
        "Can I change the size on {ref} to {size} before it ships?",
        "I ordered the wrong colour, could you change {ref} to {colour}?",
        "Please add another {item} to my order {ref}.",
        "Is it too late to change my order? I want a {size} instead.",
        "Could you swap the {item} in my order for the {colour} one before you send it?",
        "I need to change the quantity on {ref} to two.",
        "Can you remove one item from my order before it goes out?",
        "I just placed {ref} and picked the wrong size, please change it to {size}.",
        "Can I still edit my order? I'd like to add a {item}.",
        "please change my order to size {size}, it hasnt shipped yet i think",
        "Before you pack {ref}, can you change the colour to {colour}?",
        "I want to modify my order, swap the {item} for a different one.",
    ],
    "cancel_order": [
        "Please cancel {ref}.",
        "I'd like to cancel my order, I ordered by mistake.",
        "Can you cancel {ref} before it ships?",
        "I need to cancel the order I placed {days} ago.",
        "Cancel my order please, I found it cheaper elsewhere.",
        "Is it possible to cancel {ref}? I no longer need it.",
        "I placed a duplicate order, please cancel {ref}.",
        "How do I cancel an order?",
        "please cancel asap i dont want it anymore",
        "I want to cancel and get a refund for {ref}.",
        "Could you stop my order from shipping? I want to cancel.",
        "Cancel {ref}, thanks.",
        "Is there a cancellation fee if I cancel today?",
    ],
    "change_address": [
        "I entered the wrong address for {ref}, can you update it?",
        "Please change the shipping address on {ref} to 12 Elm Street, Springfield.",
        "Can you send {ref} to my work address instead?",
        "I've moved, could you change the delivery address before it ships?",
        "The apartment number is missing from my address, it should be flat 4B.",
        "Can I update my shipping address? I made a typo in the postcode.",
        "please ship to a different address, my new one is 88 Oak Road",
        "Wrong zip code on {ref}, it should be 90210.",
        "Could the parcel go to my parents' address instead?",
        "I need to change where {ref} is being delivered.",
        "Can you correct the street name on my order? It's Maple Avenue not Maple Street.",
    ],
    "product_question": [
        "Is the {colour} {item} coming back?",
        "Does the {item} run small or large?",
        "What's the difference between the two {item} styles?",
        "Is the {item} dishwasher safe?",
        "Is the {item} suitable as a gift for a child?",
        "How heavy is the {item}?",
        "Do you have the {item} in stock in {colour}, size {size}?",
        "Do you have the {item} in size {size}?",
        "Is the {item} available in {colour}?",
        "When will the {item} be back in stock?",
        "What size should I get? I'm usually a {size}.",
        "Is the {item} true to size?",
        "What material is the {item} made of?",
        "Does the {item} come in a larger size?",
        "Will you restock the {colour} {item}?",
        "Can you tell me the measurements of the {item} in {size}?",
        "Is the {item} machine washable?",
        "Do you still sell the {item}? I can't find it on the site.",
        "any chance the {item} comes in {colour}",
        "Is size {size} of the {item} in stock?",
        "How does the {item} fit compared to the other one?",
        "What are the dimensions of the {item}?",
        "Are your products vegan or cruelty free?",
        "Will there be more {size} {item} soon?",
        "I'd like to buy the {item} but it says sold out, when is it coming back?",
    ],
    "wrong_item": [
        "I received the wrong item in {ref}.",
        "You sent me a {colour} {item} but I ordered a different colour.",
        "The parcel had someone else's order in it.",
        "I ordered size {size} but got a completely different size.",
        "This isn't what I ordered, I got a {item} instead.",
        "Wrong product in my package, the label says {size} but I asked for another size.",
        "My order came with the wrong colour.",
        "you sent the wrong thing",
        "The item in the box is not the one on my order {ref}.",
        "I got two of the same item and the other one I ordered is missing, wrong items sent.",
        "The {item} I received is the wrong model.",
        "I was sent the wrong size, the tag says {size} which is not what I ordered.",
    ],
    "damaged_item": [
        "The {item} arrived with a hole in it.",
        "My {item} arrived damaged.",
        "The {item} came broken, the box was crushed.",
        "There's a tear in the {item} I received.",
        "The item arrived with a big stain on it.",
        "The {item} was cracked when I opened the parcel.",
        "It arrived scratched and dented.",
        "The seam is coming apart after one day, it's defective.",
        "my {item} came ripped",
        "The glass was shattered in the package, photos attached.",
        "The zip on the {item} is broken straight out of the box.",
        "The print arrived creased and bent.",
        "Part of my order arrived damaged in transit.",
        "The {item} is faulty, it stopped working right away.",
    ],
    "refund_status": [
        "When will I get my refund for {ref}?",
        "I returned the {item} {days} ago and haven't been refunded yet.",
        "Has my refund been processed?",
        "Where is my refund? You received the return last week.",
        "I'm still waiting for the money back for {ref}.",
        "Can you confirm the refund went through?",
        "How long do refunds take to show on my card?",
        "My refund hasn't appeared in my account.",
        "any news on my refund",
        "You said you'd refund me, but nothing has arrived.",
        "I sent the return back, when do I get my money?",
        "Could you check the status of my refund for {ref}?",
    ],
    "payment_issue": [
        "My payment was taken but the order shows as unpaid.",
        "I was charged twice for {ref}.",
        "My card was declined at checkout but the money left my account.",
        "The payment didn't go through, can you help?",
        "I see two charges on my statement for one order.",
        "Why was I charged more than the total shown?",
        "PayPal says the payment failed, did my order go through?",
        "Can I pay with Apple Pay or Klarna?",
        "What payment methods do you accept?",
        "I was charged but never got an order confirmation.",
        "The checkout keeps giving me a payment error.",
        "i got charged 2 times please fix",
        "Do you accept cash on delivery?",
        "Can I pay in instalments?",
    ],
    "discount_question": [
        "Is there a discount for first orders?",
        "Your sale started the day after I ordered, can I get the price difference?",
        "Do you have a Black Friday sale this year?",
        "My discount code {code} isn't working.",
        "Do you have any discount codes at the moment?",
        "I forgot to apply my code {code}, can you refund the difference?",
        "Is there a student discount?",
        "The promo code from your newsletter says invalid.",
        "Will the {item} go on sale soon?",
        "Can I still use the welcome discount on my second order?",
        "Do you offer free shipping codes?",
        "the coupon {code} doesnt work at checkout",
        "Are there any offers for returning customers?",
        "Can I combine two discount codes?",
        "Does the sale price apply to my order from yesterday?",
        "Do you do a referral discount?",
    ],
    "shipping_question": [
        "What does shipping cost for a small order?",
        "Do you ship to Hawaii and Alaska?",
        "Which shipping options do you have at checkout?",
        "Do you ship to {country}?",
        "How much is shipping to {country}?",
        "How long does delivery usually take?",
        "Do you offer express shipping?",
        "Which carrier do you use?",
        "Is there free shipping over a certain amount?",
        "Can I pick up my order instead of having it shipped?",
        "Do you deliver on weekends?",
        "will i have to pay customs if i order from {country}",
        "What are your shipping times to {country}?",
        "Do you deliver to PO boxes?",
        "Can I get next day delivery?",
        "Do you ship internationally?",
    ],
    "account": [
        "Please stop sending me marketing emails.",
        "How do I change my password?",
        "I keep getting your newsletter even though I unsubscribed.",
        "My login isn't working after the site update.",
        "Can you update the phone number on my profile?",
        "I can't log in to my account.",
        "How do I reset my password?",
        "Please delete my account and my data.",
        "I never got the email to verify my account.",
        "Can you change the email address on my account?",
        "I want to unsubscribe from your emails.",
        "How do I create an account?",
        "My account shows someone else's name.",
        "The password reset link doesn't work.",
        "i cant sign in, it says my email is not registered",
        "Can you merge my two accounts?",
        "Please remove me from your mailing list.",
        "How do I update my details in my account?",
    ],
    "complaint": [
        "I'm unhappy with the way your team spoke to me on the phone.",
        "The quality of my last three orders has been poor and nobody seems to care.",
        "This is the worst customer service I've ever had.",
        "I'm really disappointed with how my order was handled.",
        "I've emailed three times and nobody answers. Unacceptable.",
        "Your quality has gone downhill, I'm not happy.",
        "I'm going to leave a bad review if this isn't sorted.",
        "Your courier was rude and left my parcel in the rain.",
        "I want to make a formal complaint about your service.",
        "This whole experience has been a nightmare.",
        "I'm fed up with the delays and the lack of communication.",
        "you are a joke of a company",
        "Very poor service, I will not be ordering again.",
        "I'll be filing a chargeback if I don't hear back today.",
        "Your website charged me shipping even though it said free, this is misleading.",
    ],
    "praise": [
        "Just wanted to say I love my {item}!",
        "Thank you so much, the order arrived quickly and looks amazing.",
        "Great quality, I'll definitely order again.",
        "The {item} is perfect, thank you!",
        "Your packaging is lovely, such a nice touch.",
        "Amazing service, thanks for sorting it so fast.",
        "I'm so happy with my purchase.",
        "love it!!",
        "Best shop, my friends are all asking where I got it.",
        "Thanks for the handwritten note, made my day.",
        "Received today, absolutely beautiful. Thank you!",
        "Just a quick thank you for the great customer service.",
    ],
    "spam": [
        "We help brands like yours scale with paid ads. Can I get 15 minutes on your calendar?",
        "Your invoice is attached, please open the document to view payment details.",
        "Last chance: claim your free listing in our business directory.",
        "Looking for a reliable manufacturer? We produce custom apparel at factory prices, MOQ 50 pieces.",
        "Security alert: unusual sign-in activity on your merchant account, log in here to secure it.",
        "Hi, I can write SEO-optimised product descriptions for your whole catalogue, cheap rates.",
        "Partnership offer: we will feature your store in our gift guide for a small fee.",
        "We can get your website to the first page of Google. Reply for a free SEO audit.",
        "Boost your sales with our Instagram growth service, 10k followers guaranteed.",
        "Dear sir, I am a web developer and can redesign your website for a low price.",
        "Congratulations! You have been selected to receive a $500 gift card. Click here.",
        "Your mailbox is full. Verify your account at the link below to keep receiving mail.",
        "Guest post opportunity: we publish high DA backlinks for your niche.",
        "Invest in bitcoin today and double your money in one week.",
        "We noticed your store could use more traffic. Book a call with our growth team.",
        "I'm an influencer with 200k followers, send me free products for a shout out.",
        "Get cheap leads for your business, 5000 verified emails for $99.",
        "Your domain is expiring, renew now to avoid losing it.",
        "Hello dear, I have a business proposal of mutual benefit for you.",
        "We offer virtual assistants at $5 per hour, reply to learn more.",
        "Increase your Shopify conversion rate by 300% with our app.",
        "Unclaimed payment waiting for you, confirm your bank details.",
    ],
    "other": [
        # Off-topic: nothing a shop can act on (the out-of-scope side of "other").
        "What is the capital of Australia?",
        "What's the weather going to be like tomorrow?",
        "Can you recommend a good restaurant near me?",
        "Tell me a joke.",
        "How do I fix my car's engine light?",
        "Who won the football last night?",
        "What time is it in Tokyo?",
        "Can you help me with my maths homework?",
        "My fantasy team score was not updated after the match.",
        "How do I book a flight to Paris?",
        "What's a good recipe for banana bread?",
        "Is it going to rain this weekend?",
        "How many points do I need to withdraw my winnings?",
        "Can you translate this sentence into Spanish?",
        "What is the meaning of life?",
        "Do you sell wholesale?",
        "Are you hiring at the moment?",
        "Can I visit your shop in person?",
        "Do you offer gift wrapping?",
        "I'd like to collaborate on a charity event, who should I talk to?",
        "Can I speak to a real person please?",
        "Do you have a catalogue I can see?",
        "Hi, quick question",
        "Can you call me back?",
        "I'm writing a school project about small businesses, could I ask you some questions?",
        "Do you make custom orders for a wedding?",
        "Is the owner available?",
        "Can I get an invoice with my company name on it?",
        "Where are your products made?",
        "Do you have a loyalty program?",
        "hello?",
        "I have a question about something else entirely.",
        "Are you open on bank holidays?",
    ],
}

DETAILS = {
    "order_status": ["I need it for a birthday.", "The tracking hasn't updated.", "I paid for express."],
    "return_request": ["It's unworn with the tags on.", "I still have the original packaging."],
    "exchange_request": ["It's unworn.", "The style is great otherwise."],
    "wrong_item": ["I can send photos.", "Please tell me how to send it back."],
    "damaged_item": ["I've attached photos.", "The outer box looked fine."],
    "complaint": ["I expected much better.", "I've been a loyal customer for years."],
    "refund_status": ["The tracking shows you got the parcel.", "It's been over two weeks."],
}
GREETINGS = ["Hi,", "Hello,", "Hi there,", "Dear team,", "Hey,", "Good morning,", "Dear support,", ""]
OPENERS = [
    "Hope you're well.",
    "I hope this email finds you well.",
    "Hoping you can help.",
    "Quick question.",
    "I have a question.",
    "Writing about an order.",
    "Reaching out with a query.",
    "Sorry to bother you.",
    "Long-time customer here.",
    "First time ordering from you.",
]
POLITE_CLOSERS = [
    "Thanks in advance.",
    "Any help welcome.",
    "Let me know.",
    "Looking forward to your reply.",
    "Speak soon.",
    "Thanks for your help!",
    "Please get back to me.",
    "Have a nice day.",
]
ANGRY_LINES = [
    "This is really frustrating.",
    "I've been waiting far too long.",
    "Please sort this out.",
    "Really not impressed.",
    "I expected better!!",
    "Not good enough.",
]
SUBJECTS = ["Question", "Help", "Hello", "My order", "Urgent", "Quick question", "Inquiry", "Order", ""]
CLOSINGS = ["Thanks", "Thank you", "Cheers", "Kind regards", "Best", ""]
ITEMS = [
    "hoodie", "linen shirt", "dress", "candle", "mug", "print", "tote bag", "jacket", "sweater",
    "jeans", "necklace", "scarf", "cushion cover", "t-shirt", "leggings", "backpack", "poster",
]  # fmt: skip
COLOURS = ["black", "white", "navy", "green", "red", "grey", "pink", "blue", "beige", "sage"]
SIZES = ["XS", "S", "M", "L", "XL", "small", "medium", "large"]
COUNTRIES = ["Canada", "Germany", "Australia", "Ireland", "Japan", "Mexico", "the UK", "France"]
CODES = ["WELCOME10", "SPRING20", "SAVE15", "FREESHIP", "VIP25"]
CARRIERS = ["USPS", "UPS", "FedEx", "DHL", "Royal Mail"]
FITS = ["small", "big", "tight", "long", "short", "loose"]
DAYS = ["two weeks", "10 days", "a week", "three weeks", "5 days", "a month"]


def _ref(rng: random.Random) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return f"order #{rng.randint(1001, 9999)}"
    if kind == 1:
        middle, last = rng.randint(10**6, 10**7 - 1), rng.randint(10**6, 10**7 - 1)
        return f"order {rng.randint(100, 999)}-{middle}-{last}"
    if kind == 2:
        return f"my order {rng.randint(1000, 99999)}"
    if kind == 3:
        return f"receipt {rng.randint(10**9, 4 * 10**9)}"
    return rng.choice(["my order", "my recent order", "the order I placed last week", "my parcel"])


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def compose(template: str, rng: random.Random) -> str:
    slots = {
        "ref": _ref(rng),
        # Half the time the product is the token understand() puts for a catalog product name.
        "item": rng.choice(ITEMS) if rng.random() < 0.5 else "_product_",
        "colour": rng.choice(COLOURS),
        "size": rng.choice(SIZES),
        "country": rng.choice(COUNTRIES),
        "code": rng.choice(CODES),
        "carrier": rng.choice(CARRIERS),
        "fit": rng.choice(FITS),
        "days": rng.choice(DAYS),
    }
    return template.format(**slots)


def wrap(ask: str, intent: str, rng: random.Random, rate: float = 1.0) -> str:
    """Surround an ask with what e-mails carry around it: a subject, greeting, pleasantries, anger.

    Pleasantries and angry lines are added to every intent alike, so that they carry no intent
    of their own (an angry where-is-my-order is still an order-status question).
    """
    parts = []
    if rng.random() < 0.3 * rate:
        parts.append(rng.choice(SUBJECTS))
    greeting = rng.choice(GREETINGS)
    if greeting and rng.random() < 0.5 * rate:
        parts.append(greeting)
    if rng.random() < 0.3 * rate:
        parts.append(rng.choice(OPENERS))
    parts.append(ask)
    if intent not in ("praise", "spam", "complaint") and rng.random() < 0.15 * rate:
        parts.append(rng.choice(ANGRY_LINES))
    if rng.random() < 0.35 * rate:
        parts.append(rng.choice(POLITE_CLOSERS))
    closing = rng.choice(CLOSINGS)
    if closing and rng.random() < 0.3 * rate:
        parts.append(closing)
    return " ".join(parts)


def examples(seed: int = 5, per_template: int = 4) -> list[tuple[str, str]]:
    """Return (text, intent) pairs: each ask expanded ``per_template`` times with varied slots."""
    rng = random.Random(seed)
    rows: list[tuple[str, str]] = []
    for intent, asks in ASKS.items():
        for template in asks:
            for _ in range(per_template):
                text = wrap(compose(template, rng), intent, rng)
                if intent in DETAILS and rng.random() < 0.3:
                    text += " " + rng.choice(DETAILS[intent])
                if rng.random() < 0.2:
                    text = text.lower()
                if rng.random() < 0.15:
                    text = _typo(text, rng)
                rows.append((text, intent))
    return rows
