"""Tool catalogue, leisure and knowledge: media, search, sports, language."""

from __future__ import annotations

from slmbench.data.funccall_domains_home import DATE
from slmbench.data.funccall_spec import Tool, opt, req

SPEEDS = ((1.0, ("normal speed",)), (1.5, ("1.5x speed",)), (2.0, ("double speed", "2x speed")))
MEDIA = (
    Tool(
        "media",
        "play_music",
        "Play a song.",
        (
            req("track", "string", "song", "Song title."),
            opt("artist", "string", "artist", "Artist.", "by {v}"),
            opt("shuffle", "boolean", "flag", "Shuffle afterwards.", "on shuffle", default=False),
            opt("volume", "integer", "count", "Volume 1-100.", "at volume {v}", lo=10, hi=100),
        ),
        do=("play {track}", "put on {track}", "start playing {track}"),
        overlap="music",
    ),
    Tool(
        "media",
        "create_playlist",
        "Create a music playlist.",
        (
            req("name", "string", "playlist", "Playlist name."),
            opt("songs", "array", "song", "Songs to add.", "with {v}", items="string"),
            opt(
                "public",
                "boolean",
                "flag",
                "Visible to everyone.",
                "and make it public",
                say_no=("and keep it private",),
                default=False,
            ),
        ),
        do=('create a playlist called "{name}"', 'make a new playlist named "{name}"'),
        overlap="music",
    ),
    Tool(
        "media",
        "get_showtimes",
        "Get cinema showtimes of a movie.",
        (
            req("movie", "string", "movie", "Movie title."),
            req("city", "string", "city", "City."),
            opt("date", "string", "date", DATE, "on {v}"),
            opt(
                "format",
                "string",
                "enum",
                "Screening format.",
                "in {v}",
                enum=("standard", "imax", "3d"),
                words=(("imax", ("IMAX",)), ("3d", ("3D",))),
            ),
        ),
        do=("find showtimes for {movie} in {city}", "look up when {movie} is playing in {city}"),
        ask=("when is {movie} showing in {city}",),
    ),
    Tool(
        "media",
        "play_podcast",
        "Play a podcast episode.",
        (
            req("show", "string", "podcast", "Podcast name."),
            opt("episode", "integer", "count", "Episode number.", "episode {v}", lo=1, hi=300),
            opt(
                "speed",
                "float",
                "enum",
                "Playback speed.",
                "at {v}",
                enum=(1.0, 1.5, 2.0),
                default=1.0,
                words=SPEEDS,
            ),
        ),
        do=("play the podcast {show}", "put on {show}"),
        overlap="music",
    ),
    Tool(
        "media",
        "set_tv_channel",
        "Switch the TV to a channel.",
        (
            req("channel", "string", "channel", "Channel name."),
            opt("tv", "string", "room", "Which TV (by room).", "on the {v} TV"),
        ),
        do=("switch the TV to {channel}", "put {channel} on the TV"),
    ),
)

SEARCH = (
    Tool(
        "search",
        "web_search",
        "Search the web and return the top results.",
        (
            req("query", "string", "query", "Search query."),
            opt(
                "num_results",
                "integer",
                "count",
                "How many results.",
                "and give me {v} results",
                lo=1,
                hi=10,
                default=5,
            ),
            opt(
                "safe_search",
                "boolean",
                "flag",
                "Filter explicit results.",
                "with safe search on",
                say_no=("with safe search off",),
                default=True,
            ),
        ),
        do=("search the web for {query}", "google {query}", "look up {query}"),
        general=True,
    ),
    Tool(
        "search",
        "get_news",
        "Get the latest news headlines on a topic.",
        (
            req(
                "topic",
                "string",
                "enum",
                "News topic.",
                enum=("technology", "sports", "business", "science", "health", "politics"),
            ),
            opt("country", "string", "country", "Country of the news.", "from {v}"),
            opt("limit", "integer", "count", "Number of stories.", "top {v} stories", lo=1, hi=10),
        ),
        do=("get the latest {topic} news", "show me {topic} headlines"),
        ask=("what's new in {topic}",),
    ),
    Tool(
        "search",
        "encyclopedia_lookup",
        "Look up an article in an online encyclopedia.",
        (
            req("term", "string", "wiki_term", "Article title."),
            opt(
                "summary_only",
                "boolean",
                "flag",
                "Only the summary.",
                "just the summary",
                say_no=("with the full article",),
                default=True,
            ),
        ),
        do=("look up {term} in the encyclopedia", "find the encyclopedia article on {term}"),
        general=True,
    ),
)

SPORTS = (
    Tool(
        "sports",
        "get_game_score",
        "Get the score of a team's latest game.",
        (
            req("team", "string", "team", "Team name."),
            opt("date", "string", "date", DATE, "on {v}"),
        ),
        do=("show the latest score for {team}", "get the result of the {team} game"),
        ask=("did {team} win their last game",),
    ),
    Tool(
        "sports",
        "get_standings",
        "Get a league table.",
        (
            req("league", "string", "league", "League name."),
            opt(
                "season",
                "integer",
                "year",
                "Season start year.",
                "for the {v} season",
                lo=2015,
                hi=2024,
            ),
        ),
        do=("show the {league} standings",),
        ask=("who is top of the {league}",),
    ),
    Tool(
        "sports",
        "buy_game_tickets",
        "Buy tickets for a team's next home game.",
        (
            req("team", "string", "team", "Team name."),
            req("quantity", "integer", "count", "Number of tickets.", lo=1, hi=8),
            opt(
                "section",
                "string",
                "enum",
                "Seating section.",
                "in the {v} section",
                enum=("lower", "upper", "club"),
            ),
        ),
        do=("buy {quantity} tickets for the next {team} game",),
    ),
)

LANGUAGE = (
    Tool(
        "language",
        "translate_text",
        "Translate text into another language.",
        (
            req("text", "string", "phrase", "Text to translate."),
            req("target_language", "string", "language", "Language to translate into."),
            opt("source_language", "string", "language", "Language of the text.", "from {v}"),
        ),
        do=('translate "{text}" into {target_language}',),
        ask=('how do you say "{text}" in {target_language}',),
    ),
    Tool(
        "language",
        "define_word",
        "Look up the definition of an English word.",
        (
            req("word", "string", "word", "The word."),
            opt(
                "include_examples",
                "boolean",
                "flag",
                "Add example sentences.",
                "with example sentences",
                default=False,
            ),
        ),
        do=("define {word}", "look up the meaning of {word}"),
        ask=("what does {word} mean",),
        namespace="dictionary",
    ),
    Tool(
        "language",
        "find_courses",
        "Find online courses on a subject.",
        (
            req("subject", "string", "course_subject", "Subject of the course."),
            opt(
                "level",
                "string",
                "enum",
                "Difficulty.",
                "{v}",
                enum=("beginner", "intermediate", "advanced"),
                words=(
                    ("beginner", ("for beginners", "at beginner level")),
                    ("intermediate", ("at intermediate level",)),
                    ("advanced", ("at advanced level", "for advanced students")),
                ),
            ),
        ),
        do=("find online courses on {subject}",),
        ask=("are there any good courses about {subject}",),
        namespace="education",
    ),
)

LEISURE_TOOLS = MEDIA + SEARCH + SPORTS + LANGUAGE
