"""Tool catalogue, at home: weather, calendar, messaging, devices (the other domains are in
the other `funccall_domains_*.py` files; `funccall_spec` says what a tool is)."""

from __future__ import annotations

from slmbench.data.funccall_spec import Tool, opt, req

DATE = "Date in YYYY-MM-DD format."
TIME = "Time in 24-hour HH:MM format."
UNIT = opt(
    "unit",
    "string",
    "enum",
    "Temperature unit.",
    "in {v}",
    "with temperatures in {v}",
    enum=("celsius", "fahrenheit"),
    default="celsius",
    words=(("celsius", ("Celsius", "°C", "degrees Celsius")), ("fahrenheit", ("Fahrenheit", "°F"))),
)
PLACE = "City and state or country, e.g. 'Boston, MA' or 'Paris, France', or a city name."

WEATHER = (
    Tool(
        "weather",
        "get_current_weather",
        "Get the current weather conditions for a location.",
        (req("location", "string", "place", PLACE), UNIT),
        do=(
            "check the weather in {location}",
            "get the current weather for {location}",
            "look up the current conditions in {location}",
        ),
        ask=(
            "what's the weather like in {location}",
            "how's the weather in {location} right now",
            "is it cold in {location} at the moment",
        ),
        overlap="weather",
    ),
    Tool(
        "weather",
        "get_weather_forecast",
        "Get a daily weather forecast for the coming days.",
        (
            req("location", "string", "place", PLACE),
            req("days", "integer", "count", "Number of days to forecast (2-10).", lo=2, hi=10),
            UNIT,
            opt(
                "include_hourly",
                "boolean",
                "flag",
                "Include an hour-by-hour breakdown.",
                "with hourly details",
                "including the hourly breakdown",
                say_no=("without the hourly breakdown",),
                default=False,
            ),
        ),
        do=(
            "get the {days}-day forecast for {location}",
            "forecast the weather in {location} for the next {days} days",
        ),
        ask=("what will the weather be in {location} over the next {days} days",),
        overlap="weather",
    ),
    Tool(
        "weather",
        "get_air_quality",
        "Get the air quality index and pollutant levels for a location.",
        (
            req("location", "string", "place", PLACE),
            opt(
                "pollutant",
                "string",
                "enum",
                "Pollutant to report on.",
                "for {v}",
                "focusing on {v}",
                enum=("pm25", "pm10", "ozone", "no2"),
                words=(("pm25", ("PM2.5",)), ("pm10", ("PM10",)), ("no2", ("NO2",))),
            ),
        ),
        do=("check the air quality in {location}", "get the AQI for {location}"),
        ask=("how clean is the air in {location} today",),
    ),
    Tool(
        "weather",
        "get_sun_times",
        "Get sunrise and sunset times for a location on a date.",
        (req("location", "string", "place", PLACE), req("date", "string", "date", DATE)),
        do=("find sunrise and sunset times for {location} on {date}",),
        ask=("when does the sun rise in {location} on {date}",),
    ),
)

CALENDAR = (
    Tool(
        "calendar",
        "create_event",
        "Create an event in the user's calendar.",
        (
            req("title", "string", "event", "Title of the event."),
            req("date", "string", "date", DATE),
            req("start_time", "string", "time", TIME),
            opt(
                "duration_minutes",
                "integer",
                "count",
                "Length of the event in minutes.",
                "for {v} minutes",
                lo=15,
                hi=180,
                default=60,
            ),
            opt(
                "attendees",
                "array",
                "email",
                "Email addresses of people to invite.",
                "and invite {v}",
                "with {v}",
                items="string",
            ),
        ),
        do=(
            "schedule a {title} on {date} at {start_time}",
            "add {title} to my calendar for {date} at {start_time}",
            "put a {title} on my calendar on {date} at {start_time}",
        ),
    ),
    Tool(
        "calendar",
        "list_events",
        "List the events on the user's calendar for a day.",
        (
            req("date", "string", "date", DATE),
            opt(
                "calendar",
                "string",
                "enum",
                "Which calendar to read.",
                "on my {v} calendar",
                "from the {v} calendar",
                enum=("work", "personal", "family"),
            ),
        ),
        do=("show my events for {date}", "list everything on my calendar on {date}"),
        ask=("what do I have scheduled on {date}", "am I free on {date}"),
    ),
    Tool(
        "calendar",
        "set_reminder",
        "Set a reminder for a task on a date.",
        (
            req("task", "string", "task", "What to be reminded of."),
            req("date", "string", "date", DATE),
            opt("time", "string", "time", TIME, "at {v}"),
            opt(
                "priority",
                "string",
                "enum",
                "Priority of the reminder.",
                "with {v} priority",
                "and mark it {v} priority",
                enum=("low", "normal", "high"),
                default="normal",
            ),
        ),
        do=("remind me to {task} on {date}", "set a reminder to {task} on {date}"),
        overlap="reminder",
    ),
    Tool(
        "calendar",
        "cancel_event",
        "Cancel a calendar event by its id.",
        (
            req("event_id", "string", "event_id", "Identifier of the event, e.g. EVT-1234."),
            opt(
                "notify_attendees",
                "boolean",
                "flag",
                "Tell the attendees it was cancelled.",
                "and let the attendees know",
                say_no=("without notifying anyone",),
                default=True,
            ),
        ),
        do=("cancel event {event_id}", "delete the calendar event {event_id}"),
    ),
)

MESSAGING = (
    Tool(
        "messaging",
        "send_text_message",
        "Send an SMS text message to a contact.",
        (
            req("recipient", "string", "person", "Name or phone number of the recipient."),
            req("message", "string", "message", "Text of the message."),
            opt(
                "urgent",
                "boolean",
                "flag",
                "Flag the message as urgent.",
                "and mark it urgent",
                "as an urgent message",
                default=False,
            ),
        ),
        do=(
            'text {recipient} saying "{message}"',
            'send {recipient} a message: "{message}"',
            'tell {recipient} "{message}" by text',
        ),
    ),
    Tool(
        "messaging",
        "send_email",
        "Send an email.",
        (
            req("to", "string", "email", "Recipient email address."),
            req("subject", "string", "subject", "Subject line."),
            opt("body", "string", "message", "Body text.", 'with the body "{v}"', 'saying "{v}"'),
            opt(
                "cc",
                "array",
                "email",
                "Addresses to copy.",
                "and cc {v}",
                "copying {v}",
                items="string",
            ),
        ),
        do=(
            'email {to} with the subject "{subject}"',
            'send an email to {to} titled "{subject}"',
        ),
    ),
    Tool(
        "messaging",
        "start_call",
        "Start a phone or video call with a contact.",
        (
            req("contact", "string", "person", "Name of the contact."),
            opt(
                "video",
                "boolean",
                "flag",
                "Start with the camera on.",
                "with video on",
                "as a video call",
                say_no=("with audio only",),
                default=False,
            ),
        ),
        do=("start a call with {contact}", "call {contact}", "ring {contact}"),
    ),
    Tool(
        "messaging",
        "read_messages",
        "Read the user's recent messages.",
        (
            opt("sender", "string", "person", "Only messages from this contact.", "from {v}"),
            opt(
                "unread_only",
                "boolean",
                "flag",
                "Only unread messages.",
                "that I haven't read yet",
                say_no=("including the ones I've read",),
                default=False,
            ),
            opt(
                "limit",
                "integer",
                "count",
                "Maximum number of messages.",
                "limited to {v} messages",
                "but at most {v} of them",
                lo=1,
                hi=20,
                default=10,
            ),
        ),
        do=("show my messages", "read my latest texts", "check my inbox"),
        ask=("do I have any new messages",),
    ),
)

DEVICES = (
    Tool(
        "devices",
        "set_thermostat",
        "Set the home thermostat.",
        (
            req("temperature", "integer", "count", "Target temperature in degrees.", lo=16, hi=28),
            opt(
                "mode",
                "string",
                "enum",
                "Thermostat mode.",
                "in {v} mode",
                "on {v} mode",
                enum=("heat", "cool", "auto", "eco"),
                default="auto",
            ),
            opt("room", "string", "room", "Room of the thermostat.", "in the {v}"),
        ),
        do=(
            "set the thermostat to {temperature} degrees",
            "change the temperature to {temperature} degrees",
        ),
    ),
    Tool(
        "devices",
        "control_lights",
        "Turn the lights of a room on or off.",
        (
            req("room", "string", "room", "Room name."),
            req("state", "string", "enum", "Desired state.", enum=("on", "off")),
            opt(
                "brightness",
                "integer",
                "count",
                "Brightness in percent.",
                "at {v} percent brightness",
                lo=10,
                hi=100,
            ),
        ),
        do=("turn {state} the lights in the {room}", "switch {state} the {room} lights"),
    ),
    Tool(
        "devices",
        "lock_door",
        "Lock or unlock a door of the house.",
        (
            req("door", "string", "enum", "Which door.", enum=("front", "back", "garage", "side")),
            req("action", "string", "enum", "What to do.", enum=("lock", "unlock")),
        ),
        do=("{action} the {door} door",),
        ask=("can you {action} the {door} door",),
    ),
    Tool(
        "devices",
        "start_vacuum",
        "Start the robot vacuum cleaner.",
        (
            opt("room", "string", "room", "Room to clean (default: all).", "in the {v}"),
            opt(
                "mode",
                "string",
                "enum",
                "Suction mode.",
                "on {v} mode",
                enum=("quiet", "standard", "max"),
                default="standard",
            ),
        ),
        do=("start the vacuum", "run the robot vacuum", "start cleaning"),
    ),
    Tool(
        "devices",
        "set_alarm",
        "Set an alarm on the user's phone.",
        (
            req("time", "string", "time", TIME),
            opt("label", "string", "subject", "Label of the alarm.", 'labeled "{v}"'),
            opt(
                "repeat_daily",
                "boolean",
                "flag",
                "Repeat every day.",
                "every day",
                "on repeat daily",
                say_no=("just once",),
                default=False,
            ),
        ),
        do=("set an alarm for {time}", "wake me up at {time}"),
        overlap="reminder",
    ),
)

HOME_TOOLS = WEATHER + CALENDAR + MESSAGING + DEVICES
