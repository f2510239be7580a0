"""Records and renderings of the ten `simple` schemas (2-4 flat fields)."""

from __future__ import annotations

from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, Gen, humanize, number_text


# -- stock_quote ------------------------------------------------------------------------------
def make_stock_quote(g: Gen) -> dict:
    change = g.decimal(-8.0, 8.0, 2)
    if abs(change) < 0.01:
        change = 0.12
    rec = {"ticker": g.letters(g.randint(2, 4)), "price": g.money(2, 900), "change_percent": change}
    if g.chance(OPTIONAL):
        rec["exchange"] = g.pick(["NYSE", "NASDAQ", "LSE", "TSX", "XETRA"])
    return rec


def _signed_pct(value: float) -> str:
    return f"{'+' if value > 0 else ''}{number_text(value)}%"


def prose_stock_quote(g: Gen, rec: dict) -> str:
    where = f" on the {rec['exchange']}" if "exchange" in rec else ""
    sentences = [
        g.pick(
            [
                f"Shares of {rec['ticker']} last traded at {g.say_money(rec['price'])}{where}.",
                f"{rec['ticker']} closed at {g.say_money(rec['price'])}{where}.",
            ]
        ),
        g.pick(
            [
                f"The stock moved {_signed_pct(rec['change_percent'])} on the day.",
                f"That is a move of {_signed_pct(rec['change_percent'])} since the previous close.",
            ]
        ),
    ]
    text = paragraph(g, sentences, keep_first=0)
    return text


def message_stock_quote(g: Gen, rec: dict) -> str:
    ex = f" ({rec['exchange']})" if "exchange" in rec else ""
    if g.chance(0.5):
        return (
            f"hey, did you see {rec['ticker']}{ex}? it's at {g.say_money(rec['price'])} "
            f"right now, {_signed_pct(rec['change_percent'])} today. thinking of selling "
            f"before the earnings call"
        )
    return (
        f"Price alert\n{rec['ticker']}{ex}  last {number_text(rec['price'])}  chg "
        f"{_signed_pct(rec['change_percent'])}\nYou are receiving this because you follow "
        f"{rec['ticker']} in your watchlist."
    )


# -- contact_card -----------------------------------------------------------------------------
def make_contact_card(g: Gen) -> dict:
    name = g.full_name()
    company = g.company()
    rec = {"full_name": name, "email": g.email_for(name, g.company_domain(company))}
    if g.chance(OPTIONAL):
        rec["phone"] = g.phone()
    if g.chance(OPTIONAL):
        rec["company"] = company
    return rec


def prose_contact_card(g: Gen, rec: dict) -> str:
    sentences = [
        g.pick(
            [
                f"You can reach {rec['full_name']} by email at {rec['email']}.",
                f"{rec['full_name']} asked to be contacted at {rec['email']}.",
            ]
        )
    ]
    if "company" in rec:
        sentences.append(
            g.pick([f"They work for {rec['company']}.", f"Their employer is {rec['company']}."])
        )
    if "phone" in rec:
        sentences.append(
            g.pick([f"Their phone number is {rec['phone']}.", f"Calls go to {rec['phone']}."])
        )
    return paragraph(g, sentences)


def message_contact_card(g: Gen, rec: dict) -> str:
    body = g.pick(
        [
            "Thanks for your time on the call today. I've attached the deck we discussed.",
            "Following up on our conversation at the conference last week.",
            "Please find the signed agreement attached.",
        ]
    )
    lines = [rec["full_name"]]
    if "company" in rec:
        lines.append(rec["company"])
    contact = [f"Email: {rec['email']}" if g.chance(0.5) else rec["email"]]
    if "phone" in rec:
        contact.insert(g.randint(0, 1), f"{g.pick(['Tel', 'Phone', 'Mobile'])}: {rec['phone']}")
    signature = "\n".join(lines + contact)
    return f"Hi team,\n\n{body}\n\nBest regards,\n{signature}"


# -- parcel_status ----------------------------------------------------------------------------
CARRIERS = {
    "ups": ("UPS", "1Z************####"),
    "fedex": ("FedEx", "############"),
    "usps": ("USPS", "9400##################"),
    "dhl": ("DHL", "##########"),
}


def make_parcel_status(g: Gen) -> dict:
    carrier = g.pick(list(CARRIERS))
    status = g.pick(
        ["label_created", "in_transit", "in_transit", "out_for_delivery", "delivered", "exception"]
    )
    rec = {"tracking_number": g.code(CARRIERS[carrier][1]), "carrier": carrier, "status": status}
    if status != "delivered" and g.chance(OPTIONAL):
        rec["estimated_delivery"] = g.iso(g.day())
    return rec


PARCEL_PHRASES = {
    "label_created": "has a label created and awaits pickup",
    "in_transit": "is in transit",
    "out_for_delivery": "is out for delivery today",
    "delivered": "was delivered",
    "exception": "is held because of a delivery exception",
}


def prose_parcel_status(g: Gen, rec: dict) -> str:
    carrier = CARRIERS[rec["carrier"]][0]
    sentences = [
        f"Your {carrier} package with tracking number {rec['tracking_number']} "
        f"{PARCEL_PHRASES[rec['status']]}."
        if g.chance(0.5)
        else f"The shipment {rec['tracking_number']} sent via {carrier} has status "
        f'"{humanize(rec["status"])}".'
    ]
    if "estimated_delivery" in rec:
        sentences.append(f"It is expected to arrive on {g.say_date(rec['estimated_delivery'])}.")
    return paragraph(g, sentences)


def message_parcel_status(g: Gen, rec: dict) -> str:
    carrier = CARRIERS[rec["carrier"]][0]
    eta = ""
    if "estimated_delivery" in rec:
        eta = f" Est. delivery: {g.say_date(rec['estimated_delivery'])}."
    return (
        f"{carrier}: Shipment {rec['tracking_number']} update - status "
        f"{g.say_enum(rec['status']).upper()}.{eta} Track online or reply HELP for "
        f"assistance. Msg&data rates may apply."
    )


# -- product_review ---------------------------------------------------------------------------
PRODUCTS = (
    "Wireless Earbuds",
    "Espresso Machine",
    "Trail Running Shoes",
    "Standing Desk",
    "Air Purifier",
    "Mechanical Keyboard",
    "Cast Iron Skillet",
    "Smart Thermostat",
    "Yoga Mat",
    "Electric Toothbrush",
    "Backpack 30L",
    "Robot Vacuum",
    "Desk Lamp",
)
PRAISE = (
    "Works exactly as described.",
    "Great value for the price.",
    "Setup took five minutes and it has been reliable since.",
)
COMPLAINTS = (
    "Stopped working after two weeks.",
    "Feels cheaper than it looks in the photos.",
    "The instructions were confusing and support never answered.",
)


def product_name(g: Gen) -> str:
    return f"{g.last_name()} {g.pick(PRODUCTS)}"


def make_product_review(g: Gen) -> dict:
    rec = {
        "product_name": product_name(g),
        "rating": g.pick([1, 2, 3, 4, 4, 5, 5]),
        "verified_purchase": g.chance(0.7),
    }
    if g.chance(OPTIONAL):
        rec["reviewer_name"] = g.full_name()
    return rec


def _review_body(g: Gen, rating: int) -> str:
    return g.pick(PRAISE if rating >= 4 else COMPLAINTS if rating <= 2 else PRAISE + COMPLAINTS)


def prose_product_review(g: Gen, rec: dict) -> str:
    who = rec.get("reviewer_name", "A customer")
    sentences = [
        f"{who} gave the {rec['product_name']} {rec['rating']} out of 5 stars.",
        "The review comes from a verified purchase."
        if rec["verified_purchase"]
        else "The purchase could not be verified.",
        f'Their comment: "{_review_body(g, rec["rating"])}"',
    ]
    return paragraph(g, sentences)


def message_product_review(g: Gen, rec: dict) -> str:
    stars = "★" * rec["rating"] + "☆" * (5 - rec["rating"])
    by = f"Reviewed by {rec['reviewer_name']}" if "reviewer_name" in rec else "Anonymous review"
    badge = "Verified Purchase: yes" if rec["verified_purchase"] else "Verified Purchase: no"
    return (
        f"{stars} {rec['rating']}/5\n{rec['product_name']}\n{by} | {badge}\n\n"
        f"{_review_body(g, rec['rating'])}\n\n12 people found this helpful"
    )


# -- currency_exchange ------------------------------------------------------------------------
PER_USD = {
    "USD": 1.0,
    "EUR": 0.92,
    "GBP": 0.79,
    "JPY": 151.0,
    "CAD": 1.36,
    "AUD": 1.52,
    "CHF": 0.88,
}


def make_currency_exchange(g: Gen) -> dict:
    base, quote = g.sample(list(PER_USD), 2)
    raw = PER_USD[quote] / PER_USD[base] * g.rng.uniform(0.96, 1.04)
    rec = {"base_currency": base, "quote_currency": quote, "rate": round(raw, 2 if raw > 50 else 4)}
    if g.chance(OPTIONAL):
        rec["quoted_at"] = g.iso(g.moment())
    return rec


def prose_currency_exchange(g: Gen, rec: dict) -> str:
    pair = f"{rec['base_currency']}/{rec['quote_currency']}"
    sentences = [
        g.pick(
            [
                f"One {rec['base_currency']} buys {number_text(rec['rate'])} "
                f"{rec['quote_currency']}.",
                f"The {pair} rate stood at {number_text(rec['rate'])}.",
            ]
        )
    ]
    if "quoted_at" in rec:
        sentences.append(f"The quote was taken at {rec['quoted_at']}.")
    sentences.append(
        g.pick(
            [
                "Settlement follows two business days after the trade.",
                "Our bank adds a margin on top of this mid-market rate.",
                "The desk will hold the rate for thirty minutes.",
            ]
        )
    )
    return paragraph(g, sentences)


def message_currency_exchange(g: Gen, rec: dict) -> str:
    stamp = f" @ {rec['quoted_at']}" if "quoted_at" in rec else ""
    rate = rec["rate"]
    places = 2 if rate > 50 else 4
    spread = 10**-places * g.randint(2, 6)
    bid, ask = round(rate - spread, places), round(rate + spread, places)
    return (
        f"FX TICK {rec['base_currency']}/{rec['quote_currency']} mid "
        f"{number_text(rate)}{stamp}\n  bid {bid:.{places}f}  ask {ask:.{places}f}  "
        f"src=interbank-feed seq={g.digits(6)}"
    )


DOMAINS = (
    Domain(
        "stock_quote",
        ("Stock Quote", "Market Data", "Quote Snapshot"),
        make_stock_quote,
        prose_stock_quote,
        message_stock_quote,
        intros=(
            "Market wrap, afternoon edition.",
            "Forwarded from the trading desk channel.",
            "Here is the quote you asked for this morning.",
        ),
        outros=(
            "Quotes are delayed by at least 15 minutes and are not investment advice.",
            "Data provided for information only; check with your broker before trading.",
            "Next update after the closing auction.",
        ),
    ),
    Domain(
        "contact_card",
        ("Contact", "Contact Card", "Business Card"),
        make_contact_card,
        prose_contact_card,
        message_contact_card,
        intros=(
            "Notes from the trade fair, to be added to the CRM:",
            "New lead passed on by the sales team.",
            "Contact details from the supplier onboarding form.",
        ),
        outros=(
            "Follow up after the quarterly review.",
            "Please add this person to the partner mailing list.",
            "Do not share these details outside the account team.",
        ),
    ),
    Domain(
        "parcel_status",
        ("Shipment Tracking", "Parcel Status", "Tracking Update"),
        make_parcel_status,
        prose_parcel_status,
        message_parcel_status,
        intros=(
            "Hello, here is the latest update on your order.",
            "Customer service note, copied from the carrier portal.",
            "Automatic tracking notification.",
        ),
        outros=(
            "Thank you for shopping with us.",
            "You can change the delivery preferences in your account at any time.",
            "Delivery times are estimates and may change because of weather or holidays.",
        ),
    ),
    Domain(
        "product_review",
        ("Product Review", "Customer Review"),
        make_product_review,
        prose_product_review,
        message_product_review,
        intros=(
            "Moderation queue, review awaiting approval.",
            "Copied from the product page of the online store.",
            "Weekly digest of new customer reviews.",
        ),
        outros=(
            "The review follows the community guidelines.",
            "Reply publicly only after checking the order history.",
            "Flagged for the product team's monthly quality meeting.",
        ),
    ),
    Domain(
        "currency_exchange",
        ("Exchange Rate", "FX Quote", "Currency Rate"),
        make_currency_exchange,
        prose_currency_exchange,
        message_currency_exchange,
        intros=(
            "Treasury desk note for the payments team.",
            "Rate requested for the supplier payment run.",
            "Forwarded from the market data terminal.",
        ),
        outros=(
            "Rates are indicative and exclude bank fees.",
            "Please book the conversion before the cut-off time.",
            "Source: interbank feed, mid-market rate.",
        ),
    ),
)
