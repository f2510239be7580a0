"""Records and renderings of the `medium` schemas of commerce, travel, finance, health and HR."""

from __future__ import annotations

from datetime import date, timedelta

from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, Gen, humanize, money_text, number_text

# -- purchase_invoice -------------------------------------------------------------------------
INVOICE_ITEMS = {
    # description: (max quantity, lowest and highest unit price)
    "Printer paper, A4 (box of 5 reams)": (20, 22.0, 45.0),
    "Toner cartridge, black": (10, 45.0, 160.0),
    "Consulting services (hours)": (40, 85.0, 240.0),
    "Network switch, 24-port": (4, 140.0, 620.0),
    "Office chair": (12, 120.0, 480.0),
    "Cloud storage, 1 TB (monthly)": (12, 6.0, 25.0),
    "Website maintenance (hours)": (20, 45.0, 150.0),
    "Safety gloves (pack of 12)": (30, 9.0, 35.0),
    "Label printer": (3, 90.0, 320.0),
    "Coffee beans, 1 kg": (15, 14.0, 38.0),
    "USB-C docking station": (10, 75.0, 280.0),
    "Cleaning service (visits)": (8, 60.0, 220.0),
    "Whiteboard markers (pack of 8)": (25, 4.0, 14.0),
}
TAX_RATES = (0.05, 0.06, 0.07, 0.0825, 0.1, 0.2)


def priced_lines(g: Gen, catalog: dict[str, tuple], n: int) -> list[dict]:
    """`n` distinct catalog items with a quantity, a unit price and their product."""
    lines = []
    for description in g.sample(list(catalog), n):
        max_qty, lo, hi = catalog[description]
        quantity, unit_price = g.randint(1, max_qty), g.money(lo, hi)
        lines.append(
            {
                "description": description,
                "quantity": quantity,
                "unit_price": unit_price,
                "line_total": round(quantity * unit_price, 2),
            }
        )
    return lines


def make_purchase_invoice(g: Gen) -> dict:
    vendor = g.company()
    issued = g.day()
    rec: dict = {
        "invoice_id": g.pick(
            [g.code("INV-#####"), f"INV-{issued.year}-{g.digits(4)}", g.code("##-####")]
        ),
        "issue_date": g.iso(issued),
    }
    if g.chance(OPTIONAL):
        rec["due_date"] = g.iso(issued + timedelta(days=g.pick([14, 15, 30, 45, 60])))
    rec["vendor"] = {"name": vendor}
    if g.chance(OPTIONAL):
        rec["vendor"]["email"] = (
            f"{g.pick(['billing', 'accounts', 'invoices'])}@{g.company_domain(vendor)}"
        )
    rec["line_items"] = priced_lines(g, INVOICE_ITEMS, g.randint(1, 4))
    rec["subtotal"] = round(sum(i["line_total"] for i in rec["line_items"]), 2)
    tax = round(rec["subtotal"] * g.pick(TAX_RATES), 2) if g.chance(0.8) else None
    if tax is not None:
        rec["tax"] = tax
    rec["total"] = round(rec["subtotal"] + (tax or 0.0), 2)
    return rec


def prose_purchase_invoice(g: Gen, rec: dict) -> str:
    m = g.say_money
    first = (
        f"{rec['vendor']['name']} issued invoice {rec['invoice_id']} on "
        f"{g.say_date(rec['issue_date'])}"
    )
    if "due_date" in rec:
        first += f", payable by {g.say_date(rec['due_date'])}"
    sentences = [first + "."]
    items = [
        f"{i['quantity']} x {i['description']} at {m(i['unit_price'])} each ({m(i['line_total'])})"
        for i in rec["line_items"]
    ]
    sentences.append(f"It bills {g.say_list(items)}.")
    money = f"The subtotal is {m(rec['subtotal'])}"
    if "tax" in rec:
        money += f", tax adds {m(rec['tax'])}"
    sentences.append(f"{money}, and the total comes to {m(rec['total'])}.")
    if "email" in rec["vendor"]:
        sentences.append(f"Questions go to {rec['vendor']['email']}.")
    return paragraph(g, sentences)


def message_purchase_invoice(g: Gen, rec: dict) -> str:
    sender = rec["vendor"].get("email", "Accounts team")
    rows = [
        f"  {i['description']} | {i['quantity']} | {money_text(i['unit_price'])} | "
        f"{money_text(i['line_total'])}"
        for i in rec["line_items"]
    ]
    due = f" Payment is due on {g.say_date(rec['due_date'])}." if "due_date" in rec else ""
    tax = f"Tax: {money_text(rec['tax'])}\n" if "tax" in rec else ""
    return (
        f"From: {sender}\nSubject: Invoice {rec['invoice_id']} from {rec['vendor']['name']}"
        f"\n\nDear customer,\n\nPlease find below invoice {rec['invoice_id']} dated "
        f"{g.say_date(rec['issue_date'])}.{due}\n\n  Description | Qty | Unit price | "
        f"Amount\n" + "\n".join(rows) + f"\n\nSubtotal: {money_text(rec['subtotal'])}\n{tax}"
        f"Total due: {money_text(rec['total'])}\n\nKind regards,\n{rec['vendor']['name']}"
    )


# -- lab_result -------------------------------------------------------------------------------
LAB_TESTS = {
    "Glucose": ("mg/dL", 70, 99, 0),
    "Total cholesterol": ("mg/dL", 125, 200, 0),
    "HDL cholesterol": ("mg/dL", 40, 90, 0),
    "Triglycerides": ("mg/dL", 40, 150, 0),
    "Hemoglobin": ("g/dL", 12.0, 17.5, 1),
    "White blood cells": ("K/uL", 4.5, 11.0, 1),
    "Platelets": ("K/uL", 150, 400, 0),
    "TSH": ("mIU/L", 0.4, 4.0, 2),
    "Sodium": ("mmol/L", 135, 145, 0),
    "Potassium": ("mmol/L", 3.5, 5.1, 1),
    "Creatinine": ("mg/dL", 0.6, 1.3, 2),
    "HbA1c": ("%", 4.0, 5.6, 1),
}


def lab_value(g: Gen, name: str) -> tuple[float | int, str]:
    _, lo, hi, places = LAB_TESTS[name]
    span = hi - lo
    raw = max(0.1, g.rng.uniform(lo - 0.3 * span, hi + 0.3 * span))
    value = round(raw) if places == 0 else round(raw, places)
    return value, "low" if value < lo else "high" if value > hi else "normal"


def make_lab_result(g: Gen) -> dict:
    rec = {
        "report_id": g.code("LR-######"),
        "patient_id": g.code(g.pick(["P-#######", "MRN-######"])),
        "collected_at": g.iso(g.moment()),
    }
    if g.chance(OPTIONAL):
        rec["ordering_physician"] = f"Dr. {g.full_name()}"
    if g.chance(OPTIONAL):
        rec["fasting"] = g.chance(0.6)
    tests = []
    for name in g.sample(list(LAB_TESTS), g.randint(1, 4)):
        value, flag = lab_value(g, name)
        tests.append({"name": name, "value": value, "unit": LAB_TESTS[name][0], "flag": flag})
    rec["tests"] = tests
    return rec


def prose_lab_result(g: Gen, rec: dict) -> str:
    who = rec.get("ordering_physician", "The clinic")
    sentences = [
        f"{who} ordered report {rec['report_id']} for patient {rec['patient_id']}.",
        f"The sample was collected at {rec['collected_at']}.",
    ]
    if "fasting" in rec:
        sentences.append(
            "The patient had confirmed an overnight fast."
            if rec["fasting"]
            else "The patient was not fasting."
        )
    # Array items stay in gold order: one block that the shuffle moves as a whole.
    results = [
        g.pick(
            [
                f"{t['name']} came back at {number_text(t['value'])} {t['unit']}, flagged "
                f"{t['flag']}.",
                f"{t['name']} was {number_text(t['value'])} {t['unit']} ({t['flag']}).",
            ]
        )
        for t in rec["tests"]
    ]
    sentences.append(" ".join(results))
    return paragraph(g, sentences, keep_first=2)


def message_lab_result(g: Gen, rec: dict) -> str:
    lines = [
        f"{g.pick(['NORTHSIDE', 'CITYLAB', 'VALLEY'])} CLINICAL LABORATORY - RESULT REPORT",
        f"Report: {rec['report_id']}    Patient ID: {rec['patient_id']}",
        f"Collected: {rec['collected_at']}",
    ]
    if "ordering_physician" in rec:
        lines.append(f"Ordering: {rec['ordering_physician']}")
    if "fasting" in rec:
        lines.append(f"Fasting: {'yes' if rec['fasting'] else 'no'}")
    lines.append("\nTEST | RESULT | UNIT | FLAG")
    for t in rec["tests"]:
        lines.append(f"{t['name']} | {number_text(t['value'])} | {t['unit']} | {t['flag'].upper()}")
    lines.append("\nResults reviewed electronically. Contact the lab with questions.")
    return "\n".join(lines)


# -- bank_transfer ----------------------------------------------------------------------------
REFERENCES = (
    "Rent {month}",
    "Invoice {n}",
    "Tuition fee {year}",
    "Consulting {month}",
    "Order {n}",
    "Loan repayment",
    "Membership renewal {year}",
)


def make_bank_transfer(g: Gen) -> dict:
    executed = g.day()
    rec = {
        "transfer_id": g.uuid(),
        "amount": g.money(10, 25000),
        "currency": g.pick(["EUR", "EUR", "GBP", "USD", "CHF"]),
        "sender": {"name": g.full_name() if g.chance(0.6) else g.company(), "iban": g.fake.iban()},
        "recipient": {
            "name": g.company() if g.chance(0.6) else g.full_name(),
            "iban": g.fake.iban(),
        },
    }
    if g.chance(OPTIONAL):
        rec["reference"] = g.pick(REFERENCES).format(
            month=f"{executed:%B}", year=executed.year, n=g.randint(1000, 99999)
        )
    rec["execution_date"] = g.iso(executed)
    rec["status"] = g.pick(["pending", "completed", "completed", "rejected", "cancelled"])
    return rec


def prose_bank_transfer(g: Gen, rec: dict) -> str:
    s, r = rec["sender"], rec["recipient"]
    amount = g.say_money(rec["amount"], rec["currency"])
    sentences = [
        f"On {g.say_date(rec['execution_date'])}, {s['name']} sent {amount} to {r['name']}.",
        f"The money leaves account {s['iban']} and goes to {r['iban']}.",
        f"The transfer, ID {rec['transfer_id']}, is {rec['status']}.",
    ]
    if "reference" in rec:
        sentences.append(f'The payment reference reads "{rec["reference"]}".')
    return paragraph(g, sentences)


def message_bank_transfer(g: Gen, rec: dict) -> str:
    s, r = rec["sender"], rec["recipient"]
    ref = f"\nReference: {rec['reference']}" if "reference" in rec else ""
    return (
        f"Subject: Your transfer is {rec['status']}\n\nDear {s['name']},\n\nyour transfer of "
        f"{money_text(rec['amount'], rec['currency'], g.pick([1, 2]))} to {r['name']} "
        f"(IBAN {r['iban']}) with execution date {g.say_date(rec['execution_date'])} is "
        f"now {rec['status']}. It is debited from your account {s['iban']}.{ref}\n"
        f"Transaction ID: {rec['transfer_id']}\n\nThis is an automated message from your "
        f"online banking service."
    )


# -- employee_record --------------------------------------------------------------------------
SKILLS = {
    "engineering": ("Python", "Kubernetes", "PostgreSQL", "Go", "React", "AWS"),
    "sales": ("negotiation", "Salesforce", "account planning", "cold calling"),
    "marketing": ("SEO", "copywriting", "Google Analytics", "brand strategy"),
    "finance": ("Excel", "financial modeling", "SAP", "forecasting"),
    "human_resources": ("recruiting", "Workday", "employee relations", "payroll"),
    "operations": ("logistics", "Six Sigma", "vendor management", "SQL"),
    "customer_support": ("Zendesk", "de-escalation", "Spanish", "technical writing"),
}


def make_employee_record(g: Gen) -> dict:
    name = g.full_name()
    domain = g.company_domain(g.company())
    dept = g.pick(list(SKILLS))
    rec = {
        "employee_id": g.code(g.pick(["E#####", "EMP-####"])),
        "full_name": name,
        "work_email": g.email_for(name, domain),
        "department": dept,
        "hire_date": g.iso(g.day(date(2008, 1, 1))),
    }
    if g.chance(OPTIONAL):
        rec["annual_salary"] = float(g.randint(76, 440) * 500)
    if g.chance(OPTIONAL):
        manager = g.full_name()
        rec["manager"] = {"name": manager}
        if g.chance(0.6):
            rec["manager"]["email"] = g.email_for(manager, domain)
    if g.chance(OPTIONAL):
        rec["skills"] = g.sample(SKILLS[dept], g.randint(1, 3))
    return rec


def prose_employee_record(g: Gen, rec: dict) -> str:
    dept = humanize(rec["department"])
    sentences = [
        f"{rec['full_name']} (employee {rec['employee_id']}) joined the {dept} "
        f"team on {g.say_date(rec['hire_date'])}.",
        f"Their work email is {rec['work_email']}.",
    ]
    if "annual_salary" in rec:
        sentences.append(f"The agreed annual salary is {g.say_money(rec['annual_salary'])}.")
    if "manager" in rec:
        mgr = rec["manager"]
        mail = f" ({mgr['email']})" if "email" in mgr else ""
        sentences.append(f"They report to {mgr['name']}{mail}.")
    if "skills" in rec:
        sentences.append(f"Listed skills: {g.say_list(rec['skills'])}.")
    return paragraph(g, sentences)


def message_employee_record(g: Gen, rec: dict) -> str:
    lines = [
        f"Subject: New hire - {rec['full_name']}",
        "",
        f"Hi all, please welcome {rec['full_name']}, who starts in "
        f"{g.say_enum(rec['department'])} on {g.say_date(rec['hire_date'])}. "
        f"You can reach them at {rec['work_email']}.",
    ]
    if "manager" in rec:
        mail = f", {rec['manager']['email']}" if "email" in rec["manager"] else ""
        lines.append(f"Manager: {rec['manager']['name']}{mail}")
    if "skills" in rec:
        lines.append(f"Brings: {', '.join(rec['skills'])}")
    lines.append(f"\n[HR system] Employee ID {rec['employee_id']} created.")
    if "annual_salary" in rec:
        lines.append(
            f"[HR system] Compensation: {money_text(rec['annual_salary'])} per year (confidential)."
        )
    return "\n".join(lines)


DOMAINS = (
    Domain(
        "purchase_invoice",
        ("Invoice", "Purchase Invoice", "Vendor Bill"),
        make_purchase_invoice,
        prose_purchase_invoice,
        message_purchase_invoice,
        intros=(
            "Accounts payable inbox, forwarded for approval.",
            "Scanned from the paper copy received by post.",
        ),
        outros=(
            "Please approve in the finance system before the due date.",
            "Bank details are unchanged from the last invoice.",
        ),
    ),
    Domain(
        "lab_result",
        ("Lab Result", "Laboratory Report"),
        make_lab_result,
        prose_lab_result,
        message_lab_result,
        intros=("Result forwarded to the patient portal.", "Printed copy for the patient chart."),
        outros=(
            "Results should be interpreted by the treating physician.",
            "Reference ranges may vary between laboratories.",
        ),
    ),
    Domain(
        "bank_transfer",
        ("Bank Transfer", "Payment Order", "Transfer Details"),
        make_bank_transfer,
        prose_bank_transfer,
        message_bank_transfer,
        intros=(
            "Payment notification from online banking.",
            "Copy of the transfer details for our records.",
        ),
        outros=(
            "Keep this confirmation for your records.",
            "Contact your branch if you do not recognise this payment.",
        ),
    ),
    Domain(
        "employee_record",
        ("Employee Record", "HR Profile"),
        make_employee_record,
        prose_employee_record,
        message_employee_record,
        intros=("HR onboarding record, internal use only.", "Copied from the people directory."),
        outros=(
            "IT will set up accounts before the first day.",
            "Please keep this information confidential.",
        ),
    ),
)
