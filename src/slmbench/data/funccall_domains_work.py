"""Tool catalogue, work: maths, finance, shopping, files."""

from __future__ import annotations

from slmbench.data.funccall_domains_home import DATE
from slmbench.data.funccall_spec import Tool, opt, req

LENGTH_UNITS = ("meters", "feet", "kilometers", "miles", "inches", "centimeters")
AREA_UNIT = opt(
    "unit",
    "string",
    "enum",
    "Unit of the lengths.",
    "in {v}",
    enum=("cm", "m", "in", "ft"),
    default="cm",
    words=(
        ("cm", ("centimeters", "cm")),
        ("m", ("meters",)),
        ("in", ("inches",)),
        ("ft", ("feet",)),
    ),
)

MATHS = (
    Tool(
        "maths",
        "calculate_triangle_area",
        "Calculate the area of a triangle from its base and height.",
        (
            req("base", "integer", "count", "Length of the base.", lo=1, hi=200),
            req("height", "integer", "count", "Height of the triangle.", lo=1, hi=200),
            AREA_UNIT,
        ),
        do=(
            "calculate the area of a triangle with base {base} and height {height}",
            "find the area of a triangle whose base is {base} and height is {height}",
        ),
        ask=("what is the area of a triangle with a base of {base} and a height of {height}",),
        namespace="geometry",
    ),
    Tool(
        "maths",
        "calculate_circle_area",
        "Calculate the area of a circle from its radius.",
        (req("radius", "float", "measure", "Radius of the circle.", lo=0.5, hi=50), AREA_UNIT),
        do=("find the area of a circle with radius {radius}",),
        ask=("what's the area of a circle whose radius is {radius}",),
        namespace="geometry",
    ),
    Tool(
        "maths",
        "solve_quadratic",
        "Find the roots of the quadratic equation ax^2 + bx + c = 0.",
        (
            req("a", "integer", "coef", "Coefficient of x^2.", lo=1, hi=9),
            req("b", "integer", "coef", "Coefficient of x.", lo=-20, hi=20),
            req("c", "integer", "coef", "Constant term.", lo=-20, hi=20),
        ),
        do=(
            "solve the quadratic equation with a={a}, b={b} and c={c}",
            "find the roots of a quadratic with coefficients a = {a}, b = {b}, c = {c}",
        ),
        namespace="algebra",
    ),
    Tool(
        "maths",
        "compute_statistic",
        "Compute a summary statistic of a list of numbers.",
        (
            req("numbers", "array", "coef", "The numbers.", items="integer", lo=1, hi=99),
            req(
                "statistic",
                "string",
                "enum",
                "Which statistic.",
                enum=("mean", "median", "standard_deviation", "variance", "mode"),
            ),
        ),
        do=("compute the {statistic} of {numbers}", "calculate the {statistic} for {numbers}"),
        ask=("what is the {statistic} of {numbers}",),
        namespace="stats",
    ),
    Tool(
        "maths",
        "convert_length",
        "Convert a length from one unit to another.",
        (
            req("value", "float", "measure", "The length to convert.", lo=1, hi=1000),
            req("from_unit", "string", "enum", "Unit of the value.", enum=LENGTH_UNITS),
            req("to_unit", "string", "enum", "Unit to convert to.", enum=LENGTH_UNITS),
        ),
        do=("convert {value} {from_unit} to {to_unit}",),
        ask=("how many {to_unit} is {value} {from_unit}",),
        namespace="units",
    ),
    Tool(
        "maths",
        "gcd",
        "Compute the greatest common divisor of two integers.",
        (
            req("num1", "integer", "coef", "First number.", lo=2, hi=500),
            req("num2", "integer", "coef", "Second number.", lo=2, hi=500),
        ),
        do=("find the greatest common divisor of {num1} and {num2}",),
        ask=("what's the GCD of {num1} and {num2}",),
        namespace="math",
    ),
    Tool(
        "maths",
        "calculate_derivative",
        "Differentiate a function of x, optionally at a point.",
        (
            req("function", "string", "expression", "The function, e.g. '3x^2 + 2x'."),
            opt(
                "x_value",
                "float",
                "measure",
                "Point at which to evaluate.",
                "at x = {v}",
                "evaluated at {v}",
                lo=-10,
                hi=10,
            ),
        ),
        do=("calculate the derivative of {function}", "differentiate {function}"),
        namespace="calculus",
    ),
)

FINANCE = (
    Tool(
        "finance",
        "get_stock_price",
        "Get the latest price of a stock.",
        (
            req("ticker", "string", "ticker", "Stock ticker symbol."),
            opt(
                "exchange",
                "string",
                "enum",
                "Stock exchange.",
                "on the {v}",
                enum=("NASDAQ", "NYSE"),
            ),
        ),
        do=("get the stock price of {ticker}", "look up the share price for {ticker}"),
        ask=("how much is {ticker} trading at",),
    ),
    Tool(
        "finance",
        "convert_currency",
        "Convert an amount between currencies at today's rate.",
        (
            req("amount", "float", "amount", "Amount to convert.", lo=5, hi=20000),
            req("from_currency", "string", "currency", "ISO code of the source currency."),
            req("to_currency", "string", "currency", "ISO code of the target currency."),
        ),
        do=("convert {amount} {from_currency} to {to_currency}",),
        ask=("how much is {amount} {from_currency} in {to_currency}",),
    ),
    Tool(
        "finance",
        "calculate_loan_payment",
        "Calculate the monthly payment of a fixed-rate loan.",
        (
            req("principal", "float", "money", "Loan amount.", lo=1000, hi=500000),
            req("annual_rate", "float", "percent", "Yearly interest rate in percent.", lo=1, hi=12),
            req("years", "integer", "count", "Term in years.", lo=1, hi=30),
        ),
        do=(
            "calculate the monthly payment on a {principal} loan at {annual_rate} "
            "over {years} years",
        ),
        ask=(
            "what would I pay monthly for {principal} borrowed at {annual_rate} for {years} years",
        ),
    ),
    Tool(
        "finance",
        "transfer_money",
        "Transfer money between accounts.",
        (
            req("from_account", "string", "account", "Source account id."),
            req("to_account", "string", "account", "Destination account id."),
            req("amount", "float", "money", "Amount to transfer.", lo=10, hi=5000),
            opt("memo", "string", "subject", "Note on the transfer.", 'with the note "{v}"'),
        ),
        do=(
            "transfer {amount} from {from_account} to {to_account}",
            "move {amount} from account {from_account} to {to_account}",
        ),
    ),
    Tool(
        "finance",
        "get_account_balance",
        "Get the balance of a bank account.",
        (
            req("account_id", "string", "account", "Account id."),
            opt(
                "include_pending",
                "boolean",
                "flag",
                "Count pending transactions.",
                "including pending transactions",
                say_no=("excluding pending transactions",),
                default=False,
            ),
        ),
        do=("check the balance of {account_id}",),
        ask=("how much money is in account {account_id}",),
    ),
    Tool(
        "finance",
        "calculate_compound_interest",
        "Calculate the final value of an investment with compound interest.",
        (
            req("principal", "float", "money", "Initial investment.", lo=100, hi=100000),
            req("rate", "float", "percent", "Yearly interest rate in percent.", lo=1, hi=10),
            req("years", "integer", "count", "Number of years.", lo=1, hi=40),
            opt(
                "compounds_per_year",
                "integer",
                "enum",
                "Compounding periods per year.",
                "compounded {v}",
                enum=(1, 4, 12),
                default=1,
                words=((1, ("annually", "yearly")), (4, ("quarterly",)), (12, ("monthly",))),
            ),
        ),
        do=("work out what {principal} grows to at {rate} over {years} years",),
        ask=("how much will {principal} be worth after {years} years at {rate} interest",),
    ),
)

SHOPPING = (
    Tool(
        "shopping",
        "search_products",
        "Search the online store.",
        (
            req("query", "string", "product", "What to search for."),
            opt(
                "max_price",
                "float",
                "money",
                "Highest price.",
                "under {v}",
                "for less than {v}",
                lo=5,
                hi=2000,
            ),
            opt(
                "sort_by",
                "string",
                "enum",
                "Result order.",
                "sorted {v}",
                enum=("price_low", "price_high", "rating", "newest"),
                words=(
                    ("price_low", ("by lowest price", "cheapest first")),
                    ("price_high", ("by highest price",)),
                    ("rating", ("by rating", "by customer rating")),
                    ("newest", ("newest first",)),
                ),
            ),
        ),
        do=("search for {query}", "find me a {query}", "look for a {query} online"),
    ),
    Tool(
        "shopping",
        "add_to_cart",
        "Add a product to the shopping cart.",
        (
            req("product_id", "string", "sku", "Product SKU."),
            opt("quantity", "integer", "count", "How many.", "quantity {v}", lo=1, hi=10),
            opt(
                "gift_wrap",
                "boolean",
                "flag",
                "Gift-wrap the item.",
                "with gift wrapping",
                say_no=("no gift wrap",),
                default=False,
            ),
        ),
        do=("add {product_id} to my cart", "put item {product_id} in the cart"),
    ),
    Tool(
        "shopping",
        "track_order",
        "Track an order.",
        (
            req("order_id", "string", "order_id", "Order id."),
            opt(
                "sms_updates",
                "boolean",
                "flag",
                "Text the user on changes.",
                "and text me updates",
                default=False,
            ),
        ),
        do=("track order {order_id}",),
        ask=("where is my order {order_id}",),
    ),
    Tool(
        "shopping",
        "apply_coupon",
        "Apply a discount code to an order.",
        (
            req("code", "string", "coupon", "Coupon code."),
            req("order_id", "string", "order_id", "Order id."),
        ),
        do=("apply coupon {code} to order {order_id}", "use the code {code} on order {order_id}"),
    ),
    Tool(
        "shopping",
        "return_item",
        "Start a return for an order.",
        (
            req("order_id", "string", "order_id", "Order id."),
            req(
                "reason",
                "string",
                "enum",
                "Why it is returned.",
                enum=("damaged", "wrong_item", "not_as_described", "no_longer_needed"),
                words=(("damaged", ("damaged", "broken")), ("wrong_item", ("the wrong item",))),
            ),
            opt(
                "refund_method",
                "string",
                "enum",
                "How to refund.",
                "refunded to {v}",
                enum=("original_payment", "store_credit"),
                words=(("original_payment", ("my card", "my original payment method")),),
            ),
        ),
        do=("return order {order_id} because it's {reason}",),
    ),
)

FILES = (
    Tool(
        "files",
        "create_note",
        "Create a note.",
        (
            req("title", "string", "subject", "Note title."),
            opt("content", "string", "message", "Note text.", 'saying "{v}"'),
            opt("pinned", "boolean", "flag", "Pin it to the top.", "and pin it", default=False),
        ),
        do=('create a note titled "{title}"', 'make a new note called "{title}"'),
        namespace="notes",
    ),
    Tool(
        "files",
        "add_todo",
        "Add an item to the to-do list.",
        (
            req("task", "string", "task", "The to-do item."),
            opt("due_date", "string", "date", DATE, "due {v}", "by {v}"),
        ),
        do=("add {task} to my to-do list", "put {task} on my list"),
        namespace="todo",
        overlap="reminder",
    ),
    Tool(
        "files",
        "search_files",
        "Find a file by name.",
        (
            req("name", "string", "file", "File name."),
            opt("folder", "string", "folder", "Folder to search.", "in {v}", "inside {v}"),
        ),
        do=("find the file {name}", "search my files for {name}"),
        ask=("where did I save {name}",),
    ),
    Tool(
        "files",
        "share_file",
        "Share a file with someone.",
        (
            req("file_name", "string", "file", "File name."),
            req("email", "string", "email", "Email of the person."),
            opt(
                "permission",
                "string",
                "enum",
                "Access level.",
                "with {v} access",
                enum=("view", "comment", "edit"),
                default="view",
            ),
        ),
        do=("share {file_name} with {email}", "give {email} access to {file_name}"),
    ),
    Tool(
        "files",
        "convert_document",
        "Convert a document to another format.",
        (
            req("file_name", "string", "file", "File name."),
            req(
                "target_format",
                "string",
                "enum",
                "Format to convert to.",
                enum=("pdf", "docx", "txt", "html"),
                words=(
                    ("pdf", ("PDF",)),
                    ("docx", ("Word", "DOCX")),
                    ("txt", ("plain text",)),
                    ("html", ("HTML",)),
                ),
            ),
        ),
        do=("convert {file_name} to {target_format}",),
    ),
)

WORK_TOOLS = MATHS + FINANCE + SHOPPING + FILES
