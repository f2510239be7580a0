"""Tool catalogue, out and about: navigation, food, health, travel."""

from __future__ import annotations

from slmbench.data.funccall_domains_home import DATE, PLACE, TIME
from slmbench.data.funccall_spec import Tool, opt, req

TRAVEL_MODES = (
    ("driving", ("by car", "driving")),
    ("walking", ("on foot", "walking")),
    ("transit", ("by public transit", "by bus or train")),
    ("cycling", ("by bike", "cycling")),
)
NAVIGATION = (
    Tool(
        "navigation",
        "get_directions",
        "Get directions between two places.",
        (
            req("origin", "string", "street", "Start address."),
            req("destination", "string", "street", "Destination address."),
            opt(
                "mode",
                "string",
                "enum",
                "Means of travel.",
                "{v}",
                enum=("driving", "walking", "transit", "cycling"),
                default="driving",
                words=TRAVEL_MODES,
            ),
            opt(
                "avoid_tolls",
                "boolean",
                "flag",
                "Avoid toll roads.",
                "avoiding tolls",
                say_no=("tolls are fine",),
                default=False,
            ),
        ),
        do=(
            "get directions from {origin} to {destination}",
            "plan a route from {origin} to {destination}",
        ),
        ask=("how do I get from {origin} to {destination}",),
    ),
    Tool(
        "navigation",
        "find_nearby",
        "Find places of a kind near a location.",
        (
            req(
                "category",
                "string",
                "enum",
                "Kind of place.",
                enum=("restaurant", "gas_station", "pharmacy", "atm", "parking", "cafe"),
                words=(("atm", ("ATM", "cash machine")),),
            ),
            req("location", "string", "place", PLACE),
            opt(
                "radius_km",
                "float",
                "measure",
                "Search radius in kilometres.",
                "within {v} km",
                lo=0.5,
                hi=20,
                default=5.0,
            ),
            opt(
                "open_now",
                "boolean",
                "flag",
                "Only places open now.",
                "that is open right now",
                default=False,
            ),
        ),
        do=("find a {category} near {location}", "look for a {category} around {location}"),
        ask=("is there a {category} near {location}",),
        overlap="places",
    ),
    Tool(
        "navigation",
        "estimate_travel_time",
        "Estimate how long a trip takes.",
        (
            req("origin", "string", "street", "Start address."),
            req("destination", "string", "street", "Destination address."),
            opt("departure_time", "string", "time", TIME, "leaving at {v}"),
        ),
        do=("estimate the travel time from {origin} to {destination}",),
        ask=("how long does it take to get from {origin} to {destination}",),
    ),
)

FOOD = (
    Tool(
        "food",
        "find_restaurants",
        "Search for restaurants by cuisine in a city.",
        (
            req("location", "string", "city", "City name."),
            req("cuisine", "string", "cuisine", "Type of food."),
            opt(
                "price_range",
                "string",
                "enum",
                "Price level.",
                "that are {v}",
                enum=("cheap", "moderate", "expensive"),
                words=(("cheap", ("cheap", "inexpensive")), ("expensive", ("upscale", "pricey"))),
            ),
        ),
        do=(
            "find {cuisine} restaurants in {location}",
            "look up {cuisine} places to eat in {location}",
        ),
        ask=("where can I get {cuisine} food in {location}",),
        overlap="places",
    ),
    Tool(
        "food",
        "book_table",
        "Reserve a table at a restaurant.",
        (
            req("restaurant", "string", "restaurant", "Restaurant name."),
            req("party_size", "integer", "count", "Number of people.", lo=1, hi=12),
            req("date", "string", "date", DATE),
            req("time", "string", "time", TIME),
            opt(
                "seating",
                "string",
                "enum",
                "Seating area.",
                "with {v} seating",
                enum=("indoor", "outdoor", "bar"),
            ),
        ),
        do=(
            "book a table at {restaurant} for {party_size} on {date} at {time}",
            "reserve a table for {party_size} at {restaurant} on {date} at {time}",
        ),
    ),
    Tool(
        "food",
        "get_recipe",
        "Find a recipe for a dish.",
        (
            req("dish", "string", "dish", "Name of the dish."),
            opt("servings", "integer", "count", "Servings.", "for {v} servings", lo=1, hi=8),
            opt(
                "diet",
                "string",
                "enum",
                "Dietary restriction.",
                "that is {v}",
                enum=("vegetarian", "vegan", "gluten_free", "keto"),
                words=(("gluten_free", ("gluten-free", "gluten free")),),
            ),
        ),
        do=("find a recipe for {dish}", "look up how to make {dish}"),
        ask=("how do I cook {dish}",),
    ),
    Tool(
        "food",
        "order_delivery",
        "Order food delivery from a restaurant.",
        (
            req("restaurant", "string", "restaurant", "Restaurant name."),
            req("items", "array", "dish", "Dishes to order.", items="string"),
            opt("address", "string", "street", "Delivery address.", "to {v}", "delivered to {v}"),
            opt(
                "tip_percent",
                "integer",
                "count",
                "Tip in percent.",
                "and tip {v} percent",
                lo=5,
                hi=25,
            ),
        ),
        do=("order {items} from {restaurant}", "get {items} delivered from {restaurant}"),
    ),
)

HEALTH = (
    Tool(
        "health",
        "log_workout",
        "Log a workout in the fitness tracker.",
        (
            req("activity", "string", "exercise", "Kind of exercise."),
            req("duration_minutes", "integer", "count", "Duration in minutes.", lo=10, hi=120),
            opt(
                "calories",
                "integer",
                "count",
                "Calories burned.",
                "burning {v} calories",
                lo=50,
                hi=900,
            ),
            opt("date", "string", "date", DATE, "on {v}"),
        ),
        do=(
            "log {duration_minutes} minutes of {activity}",
            "record a {activity} workout of {duration_minutes} minutes",
        ),
    ),
    Tool(
        "health",
        "log_meal",
        "Log a meal in the food diary.",
        (
            req("food", "string", "food", "What was eaten."),
            req("meal", "string", "enum", "Meal.", enum=("breakfast", "lunch", "dinner", "snack")),
            opt("calories", "integer", "count", "Calories.", "with {v} calories", lo=50, hi=1200),
        ),
        do=("log {food} for {meal}", "add {food} to my {meal} log"),
    ),
    Tool(
        "health",
        "book_doctor_appointment",
        "Book an appointment with a doctor.",
        (
            req(
                "specialty",
                "string",
                "enum",
                "Medical specialty.",
                enum=("general_practice", "dermatology", "cardiology", "pediatrics", "dentistry"),
            ),
            req("date", "string", "date", DATE),
            opt("time", "string", "time", TIME, "at {v}", "around {v}"),
            opt(
                "telehealth",
                "boolean",
                "flag",
                "A video visit instead of in person.",
                "as a video visit",
                say_no=("in person",),
                default=False,
            ),
        ),
        do=("book a {specialty} appointment on {date}", "schedule a {specialty} visit on {date}"),
    ),
    Tool(
        "health",
        "set_medication_reminder",
        "Remind the user to take a medication.",
        (
            req("medication", "string", "medication", "Name of the medication."),
            req("dosage_mg", "integer", "count", "Dose in milligrams.", lo=5, hi=1000),
            opt(
                "times_per_day",
                "integer",
                "count",
                "Doses per day.",
                "{v} times a day",
                lo=2,
                hi=4,
                default=1,
            ),
        ),
        do=(
            "remind me to take {dosage_mg} mg of {medication}",
            "set a reminder for {medication}, {dosage_mg} mg",
        ),
        overlap="reminder",
    ),
    Tool(
        "health",
        "get_step_count",
        "Get the user's step count for a day.",
        (req("date", "string", "date", DATE),),
        do=("get my step count for {date}",),
        ask=("how many steps did I take on {date}",),
    ),
)

TRAVEL = (
    Tool(
        "travel",
        "search_flights",
        "Search for flights between two airports.",
        (
            req("origin", "string", "airport", "IATA code of the departure airport."),
            req("destination", "string", "airport", "IATA code of the arrival airport."),
            req("departure_date", "string", "date", DATE),
            opt(
                "passengers",
                "integer",
                "count",
                "Number of passengers.",
                "for {v} passengers",
                lo=1,
                hi=6,
                default=1,
            ),
            opt(
                "cabin_class",
                "string",
                "enum",
                "Cabin class.",
                "in {v} class",
                enum=("economy", "premium_economy", "business", "first"),
                default="economy",
            ),
            opt(
                "nonstop_only",
                "boolean",
                "flag",
                "Only nonstop flights.",
                "nonstop only",
                "with no layovers",
                say_no=("connections are fine",),
                default=False,
            ),
        ),
        do=(
            "find flights from {origin} to {destination} on {departure_date}",
            "search for a flight from {origin} to {destination} departing {departure_date}",
        ),
        ask=("are there any flights from {origin} to {destination} on {departure_date}",),
    ),
    Tool(
        "travel",
        "book_hotel",
        "Book a hotel room.",
        (
            req("city", "string", "city", "City of the hotel."),
            req("check_in", "string", "date", "Check-in date in YYYY-MM-DD format."),
            req("nights", "integer", "count", "Number of nights.", lo=2, hi=14),
            opt("guests", "integer", "count", "Guests.", "for {v} guests", lo=1, hi=6, default=1),
            opt("hotel_chain", "string", "hotel", "Preferred chain.", "at a {v}", "preferably {v}"),
        ),
        do=(
            "book a hotel in {city} from {check_in} for {nights} nights",
            "reserve a room in {city} checking in {check_in} for {nights} nights",
        ),
    ),
    Tool(
        "travel",
        "rent_car",
        "Rent a car.",
        (
            req("pickup_location", "string", "airport", "Airport code or city of pick-up."),
            req("pickup_date", "string", "date", DATE),
            req("return_date", "string", "date", DATE),
            opt("car_class", "string", "car_class", "Kind of car.", "and I'd like a {v}"),
        ),
        do=("rent a car at {pickup_location} from {pickup_date} to {return_date}",),
    ),
    Tool(
        "travel",
        "get_flight_status",
        "Get the status of a flight.",
        (
            req("flight_number", "string", "flight_no", "Flight number, e.g. BA117."),
            opt("date", "string", "date", DATE, "on {v}", "for {v}"),
        ),
        do=("check the status of flight {flight_number}",),
        ask=("is flight {flight_number} on time",),
    ),
    Tool(
        "travel",
        "get_local_time",
        "Get the current local time in a city.",
        (req("location", "string", "city", "City name."),),
        do=("tell me the current time in {location}",),
        ask=("what time is it in {location}",),
        namespace="time",
    ),
)

OUT_TOOLS = NAVIGATION + FOOD + HEALTH + TRAVEL
