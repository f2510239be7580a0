"""Argument values of generated function calls, each with the way a person writes it.

`ValueSource.draw(param)` returns `(gold, text)`: the value the call carries and how the request
says it. Dates are ISO in the call and often "March 5, 2024" in the request, times are 24-hour
`HH:MM` in the call and "7:30 pm" in the request, small counts may be words ("three"), money has
a currency symbol and thousands separators, lists are "a, b and c". People, emails, phones,
companies, products and URLs come from the generic data engine (`slmbench.data.synth.values`),
the rest from the pools below. Every draw goes through the build's one `Gen`.
"""

from __future__ import annotations

from typing import Any

from slmbench.data.gen_values import Gen, humanize, number_text
from slmbench.data.synth.values import ValueMaker

NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# fmt: off
POOLS: dict[str, tuple[str, ...]] = {
    "world_city": (
        "Paris", "London", "Tokyo", "Berlin", "Madrid", "Rome", "Lisbon", "Toronto", "Sydney",
        "Mumbai", "Seoul", "Cairo", "Nairobi", "Lima", "Oslo", "Dublin", "Vienna", "Prague",
        "Istanbul", "Bangkok", "Singapore", "Mexico City", "Buenos Aires", "Cape Town",
        "Amsterdam", "Chicago", "Boston", "Denver", "Seattle", "Austin", "Miami", "Vancouver",
        "Melbourne", "Zurich", "Stockholm", "Helsinki", "Warsaw", "Athens", "Hanoi", "Manila",
    ),
    "city_state": (
        "Boston, MA", "Austin, TX", "Denver, CO", "Seattle, WA", "Chicago, IL", "Miami, FL",
        "Portland, OR", "Phoenix, AZ", "Atlanta, GA", "Nashville, TN", "San Diego, CA",
        "San Francisco, CA", "New York, NY", "Detroit, MI", "Columbus, OH", "Raleigh, NC",
        "Salt Lake City, UT", "Minneapolis, MN", "Paris, France", "Berlin, Germany",
        "Tokyo, Japan", "Toronto, Canada", "London, UK", "Madrid, Spain", "Sydney, Australia",
    ),
    "airport": (
        "JFK", "LAX", "SFO", "ORD", "LHR", "CDG", "FRA", "AMS", "MAD", "NRT", "HND", "SIN",
        "DXB", "YYZ", "SEA", "BOS", "DEN", "ATL", "MIA", "FCO", "BCN", "IST", "ICN", "SYD",
    ),
    "airline": ("Delta", "United", "Lufthansa", "Air France", "KLM", "Emirates", "JetBlue"),
    "ticker": ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA", "META", "NFLX", "IBM", "KO"),
    "currency": ("USD", "EUR", "GBP", "JPY", "CAD", "AUD", "CHF", "INR", "MXN", "SEK"),
    "language": (
        "French", "Spanish", "German", "Italian", "Japanese", "Korean", "Portuguese",
        "Chinese", "Arabic", "Hindi", "Dutch", "Swedish", "Turkish", "Polish", "Greek",
    ),
    "cuisine": (
        "Italian", "Thai", "Mexican", "Japanese", "Indian", "Greek", "Vietnamese", "Korean",
        "Ethiopian", "French", "Lebanese", "Spanish", "vegan", "seafood",
    ),
    "song": (
        "Bohemian Rhapsody", "Hey Jude", "Purple Rain", "Hotel California", "Imagine",
        "Billie Jean", "Wonderwall", "Yesterday", "Clocks", "Dancing Queen", "Levitating",
        "Blinding Lights", "Rolling in the Deep", "Shape of You", "Smells Like Teen Spirit",
    ),
    "artist": (
        "Adele", "Coldplay", "Taylor Swift", "The Beatles", "Beyonce", "Daft Punk", "Queen",
        "Miles Davis", "Radiohead", "Dua Lipa", "Kendrick Lamar", "Norah Jones", "ABBA",
    ),
    "movie": (
        "Inception", "The Matrix", "Arrival", "Parasite", "Amelie", "Interstellar", "Up",
        "Casablanca", "Jaws", "Spirited Away", "Dune", "Alien", "Heat", "Coco", "Vertigo",
    ),
    "genre": ("jazz", "rock", "classical", "hip hop", "pop", "blues", "electronic", "folk"),
    "podcast": ("The Daily", "Radiolab", "Planet Money", "Hardcore History", "Serial"),
    "book": (
        "Dune", "Emma", "Beloved", "Ulysses", "Middlemarch", "The Hobbit", "Matilda",
        "Moby Dick", "Rebecca", "Frankenstein", "Dracula", "Persuasion",
    ),
    "team": (
        "Lakers", "Yankees", "Arsenal", "Real Madrid", "Celtics", "Packers", "Juventus",
        "Chelsea", "Warriors", "Dodgers", "Bayern Munich", "Maple Leafs",
    ),
    "league": ("NBA", "NFL", "MLB", "NHL", "Premier League", "La Liga", "Serie A"),
    "room": ("living room", "kitchen", "bedroom", "office", "garage", "bathroom", "hallway"),
    "dish": (
        "margherita pizza", "pad thai", "chicken curry", "caesar salad", "ramen", "tacos",
        "falafel wrap", "sushi platter", "veggie burger", "lasagna", "pho", "paella",
    ),
    "ingredient": (
        "eggs", "flour", "milk", "tomatoes", "basil", "garlic", "onions", "rice", "butter",
        "spinach", "cheddar", "lemons", "chicken", "tofu", "mushrooms", "olive oil",
    ),
    "medication": ("ibuprofen", "amoxicillin", "metformin", "lisinopril", "vitamin D"),
    "exercise": ("running", "cycling", "swimming", "yoga", "walking", "rowing", "hiking"),
    "food": ("banana", "oatmeal", "grilled salmon", "greek yogurt", "apple", "brown rice"),
    "symptom": ("headache", "sore throat", "fever", "back pain", "cough", "fatigue"),
    "message": (
        "running 10 minutes late", "see you at the station", "call me when you land",
        "the meeting moved to Friday", "happy birthday", "can you pick up milk",
        "I left the keys under the mat", "dinner is at 8", "thanks for today",
        "the report is ready for review", "don't forget the tickets",
    ),
    "subject": (
        "Quarterly report", "Lunch on Friday", "Project kickoff", "Invoice question",
        "Travel plans", "Weekly update", "Contract renewal", "Team offsite",
    ),
    "event": (
        "dentist appointment", "team standup", "yoga class", "project review", "book club",
        "parent-teacher meeting", "budget planning", "coffee with Sam", "flight to Denver",
    ),
    "task": (
        "renew passport", "pay electricity bill", "buy birthday gift", "call the plumber",
        "submit expense report", "water the plants", "book car service", "back up laptop",
    ),
    "query": (
        "best hiking trails near Denver", "how to fix a leaking tap", "history of the Roman empire",
        "cheap flights to Lisbon", "symptoms of dehydration", "python list comprehension",
        "electric car tax credits", "easy vegan dinner recipes", "who won the 2018 world cup",
        "how tall is mount everest", "latest news on solar energy", "tips for better sleep",
    ),
    "topic": ("technology", "sports", "business", "science", "health", "politics", "travel"),
    "file": (
        "report.pdf", "budget_2024.xlsx", "notes.txt", "slides.pptx", "photo.jpg",
        "contract.docx", "data.csv", "invoice_113.pdf", "resume.pdf", "backup.zip",
    ),
    "folder": ("Documents", "Downloads", "Projects", "Photos", "Invoices", "Archive"),
    "product_category": ("electronics", "books", "toys", "kitchen", "garden", "clothing"),
    "coupon": ("SAVE10", "WELCOME5", "FREESHIP", "SPRING20", "VIP15"),
    "shape": ("circle", "square", "triangle", "rectangle", "hexagon"),
    "expression": ("3x^2 + 2x - 1", "x^3 - 4x", "2x + 7", "sin(x)", "x^2 - 9", "e^x"),
    "word": ("serendipity", "ephemeral", "ubiquitous", "laconic", "resilient", "candor"),
    "phrase": (
        "where is the train station", "thank you very much", "good morning", "how much is this",
        "I would like a coffee", "the bill, please", "nice to meet you", "I am lost",
    ),
    "hotel": ("Hilton", "Marriott", "Hyatt", "Ritz-Carlton", "Holiday Inn", "Ibis"),
    "restaurant": (
        "Nobu", "Chez Panisse", "The Ivy", "Olive Garden", "Shake Shack", "Le Bernardin",
    ),
    "car_class": ("compact", "SUV", "economy", "minivan", "luxury", "convertible"),
    "channel": ("CNN", "BBC News", "ESPN", "HBO", "Discovery", "National Geographic"),
    "station": ("Jazz FM", "BBC Radio 1", "KEXP", "Classic FM", "NPR"),
    "playlist": ("Road Trip", "Morning Run", "Focus", "Dinner Party", "Chill Vibes", "Gym"),
    "wiki_term": (
        "photosynthesis", "the French Revolution", "black holes", "Marie Curie", "the Silk Road",
        "the Great Barrier Reef", "quantum computing", "the Renaissance", "Ada Lovelace",
    ),
    "course_subject": (
        "machine learning", "Spanish", "photography", "statistics", "web design", "piano",
        "public speaking", "accounting", "data visualization", "creative writing",
    ),
}
# fmt: on
"""Value pools by kind (names of places, works, teams, foods... and short free texts)."""
ENGINE_KINDS = ("person", "email", "phone", "company", "product", "username", "country", "street")
"""Kinds drawn by the generic data engine's `ValueMaker.string_of_kind`."""
CODE_PATTERNS = {
    "order_id": "ORD-#####",
    "booking_ref": "??####",
    "tracking": "1Z###??####",
    "account": "ACC-######",
    "flight_no": "??###",
    "device_id": "dev-####",
    "ticket": "TCK-####",
    "invoice": "INV-#####",
    "sku": "SKU-#####",
    "event_id": "EVT-####",
}
"""Identifier kinds and their shapes (`Gen.code`: `#` digit, `?` capital letter)."""


class ValueSource:
    """Draws `(gold, text)` for a parameter; all randomness from one `Gen`."""

    def __init__(self, g: Gen):
        self.g = g
        self.engine = ValueMaker(g)

    def draw(self, param: Any) -> tuple[Any, str]:
        """A value for `param` (a `funccall_spec.Param`) and how a request writes it."""
        if param.enum:
            value = self.g.pick(param.enum)
            return value, self.say_enum(param, value)
        if param.type == "array":
            return self.draw_list(param)
        return self.scalar(param.kind, param.type, param.lo, param.hi)

    def draw_list(self, param: Any) -> tuple[list, str]:
        n = self.g.randint(2, 4)
        values, texts = [], []
        for _ in range(n * 3):
            value, text = self.scalar(param.kind, param.items or "string", param.lo, param.hi)
            if value not in values:
                values.append(value)
                texts.append(text)
            if len(values) == n:
                break
        return values, self.g.say_list(texts)

    def say_enum(self, param: Any, value: Any) -> str:
        """A listed way to say the value, else the value in words (`out_for_delivery`: "out
        for delivery"), now and then capitalised."""
        spoken = dict(param.words).get(value)
        if spoken and (value not in spoken or self.g.chance(0.7)):
            return self.g.pick(spoken)
        if not isinstance(value, str):
            return number_text(value)
        words = humanize(value)
        return words.capitalize() if words.islower() and self.g.chance(0.1) else words

    def scalar(self, kind: str, bfcl_type: str, lo: float, hi: float) -> tuple[Any, str]:
        g = self.g
        if bfcl_type == "integer":
            return self.integer(kind, int(lo), int(hi))
        if bfcl_type == "float":
            return self.number(kind, lo, hi)
        if kind == "date":
            iso = g.iso(g.day())
            return iso, g.say_date(iso)
        if kind == "time":
            return self.clock()
        if kind == "city":
            city = g.pick(POOLS["world_city"]) if g.chance(0.7) else g.city()
            return city, city
        if kind == "place":
            place = g.pick(POOLS["city_state"] if g.chance(0.6) else POOLS["world_city"])
            return place, place
        if kind in ENGINE_KINDS:
            value = self.engine.string_of_kind(kind)
            return value, value
        if kind in CODE_PATTERNS:
            value = g.code(CODE_PATTERNS[kind])
            return value, value
        if kind in POOLS:
            value = g.pick(POOLS[kind])
            return value, value
        raise ValueError(f"unknown value kind {kind!r}")

    def integer(self, kind: str, lo: int, hi: int) -> tuple[int, str]:
        g = self.g
        value = g.randint(lo, hi)
        if kind in ("year", "coef"):
            return value, str(value)
        if 0 <= value < len(NUMBER_WORDS) and g.chance(0.35):
            return value, NUMBER_WORDS[value]
        if value >= 10000 and g.chance(0.5):
            return value, f"{value:,}"
        return value, str(value)

    def number(self, kind: str, lo: float, hi: float) -> tuple[float, str]:
        g = self.g
        if kind == "money":
            value = float(g.randint(int(lo), int(hi))) if g.chance(0.5) else g.money(lo, hi)
            whole = value.is_integer()
            amount = f"{value:,.0f}" if whole and g.chance(0.6) else f"{value:,.2f}"
            form = g.pick(("${a}", "{a} dollars", "{a}")) if g.chance(0.8) else "{a}"
            return value, form.format(a=amount)
        if kind == "percent":
            value = g.decimal(lo, hi, 1)
            return value, g.pick((f"{number_text(value)}%", f"{number_text(value)} percent"))
        if kind == "amount":
            value = float(g.randint(int(lo), int(hi))) if g.chance(0.6) else g.money(lo, hi)
            whole = value.is_integer()
            text = f"{value:,.0f}" if whole else f"{value:,.2f}"
            return value, text if g.chance(0.5) else number_text(int(value) if whole else value)
        value = g.decimal(lo, hi, 1)
        if g.chance(0.3):
            value = float(round(value))
        return value, number_text(int(value) if value.is_integer() else value)

    def clock(self) -> tuple[str, str]:
        g = self.g
        hour, minute = g.randint(6, 22), g.pick((0, 0, 15, 30, 45))
        gold = f"{hour:02d}:{minute:02d}"
        twelve = hour % 12 or 12
        suffix = g.pick(("pm", "PM", "p.m.")) if hour >= 12 else g.pick(("am", "AM", "a.m."))
        spoken = f"{twelve}:{minute:02d} {suffix}" if minute else f"{twelve} {suffix}"
        return gold, g.pick((gold, spoken, spoken))
