"""Records and renderings of the `complex` schemas of commerce and healthcare (three or more
levels of nesting)."""

from __future__ import annotations

from datetime import date, timedelta

from slmbench.data.gen_medium import priced_lines
from slmbench.data.gen_render import Domain, paragraph
from slmbench.data.gen_values import OPTIONAL, Gen, humanize, money_text, number_text

# -- purchase_order ---------------------------------------------------------------------------
PO_CATALOG = {
    # description: (max quantity, lowest and highest unit price)
    "Steel shelving unit": (20, 89.0, 420.0),
    "Hydraulic pallet jack": (4, 280.0, 890.0),
    "LED panel light 60x60": (60, 18.0, 65.0),
    "Nitrile gloves, box of 100": (80, 6.5, 19.0),
    "Corrugated boxes, pack of 25": (100, 14.0, 48.0),
    "Barcode scanner": (12, 45.0, 260.0),
    "Stretch wrap film roll": (60, 11.0, 39.0),
    "Safety helmet": (50, 12.0, 55.0),
    "Industrial fan": (8, 120.0, 540.0),
    "Label roll 4x6": (120, 3.5, 12.0),
    "Cordless drill kit": (10, 79.0, 310.0),
    "Packing tape, 36 rolls": (30, 38.0, 95.0),
}


def make_purchase_order(g: Gen) -> dict:
    ordered = g.day()
    buyer, contact_name = g.company(), g.full_name()
    contact = {"name": contact_name, "email": g.email_for(contact_name, g.company_domain(buyer))}
    if g.chance(OPTIONAL):
        contact["phone"] = g.phone()
    lines = [
        {"sku": g.code("??-####"), **line} for line in priced_lines(g, PO_CATALOG, g.randint(1, 3))
    ]
    subtotal = round(sum(line["line_total"] for line in lines), 2)
    shipping = 0.0 if g.chance(0.2) else g.money(8, 150)
    tax = round(subtotal * g.pick((0.05, 0.0625, 0.07, 0.0825)), 2)
    rec = {
        "po_number": g.code(g.pick(["PO-######", f"PO-{ordered.year}-####"])),
        "order_date": g.iso(ordered),
        "buyer": {
            "company": buyer,
            "contact": contact,
            "ship_to": {
                "street": g.street_address(),
                "city": g.city(),
                "state": g.state(),
                "postal_code": g.postal_code(),
            },
        },
        "supplier": {"name": g.company(), "supplier_id": g.code("SUP-####")},
        "lines": lines,
        "subtotal": subtotal,
        "shipping": shipping,
        "tax": tax,
        "total": round(subtotal + tax + shipping, 2),
        "payment_terms": g.pick(["prepaid", "net_15", "net_30", "net_30", "net_60"]),
    }
    if g.chance(OPTIONAL):
        rec["requested_delivery"] = g.iso(ordered + timedelta(days=g.randint(3, 30)))
    return rec


def _address(a: dict) -> str:
    return f"{a['street']}, {a['city']}, {a['state']} {a['postal_code']}"


def prose_purchase_order(g: Gen, rec: dict) -> str:
    b, m = rec["buyer"], g.say_money
    lines = [
        f"{x['quantity']} x {x['description']} (SKU {x['sku']}) at {m(x['unit_price'])} "
        f"each, {m(x['line_total'])}"
        for x in rec["lines"]
    ]
    c = b["contact"]
    phone = f", phone {c['phone']}" if "phone" in c else ""
    deliver = f" by {g.say_date(rec['requested_delivery'])}" if "requested_delivery" in rec else ""
    sentences = [
        f"{b['company']} placed purchase order {rec['po_number']} with {rec['supplier']['name']}"
        f" (supplier ID {rec['supplier']['supplier_id']}) on {g.say_date(rec['order_date'])}.",
        f"The order covers {'; '.join(lines)}.",
        f"The subtotal is {m(rec['subtotal'])}, shipping {m(rec['shipping'])} and tax "
        f"{m(rec['tax'])}, for a total of {m(rec['total'])}.",
        f"Payment terms are {humanize(rec['payment_terms'])}.",
        f"Goods should be delivered to {_address(b['ship_to'])}{deliver}.",
        f"The buyer's contact is {c['name']} ({c['email']}{phone}).",
    ]
    return paragraph(g, sentences)


def message_purchase_order(g: Gen, rec: dict) -> str:
    b, s = rec["buyer"], rec["supplier"]
    c, a = b["contact"], b["ship_to"]
    rows = [
        f"{x['sku']} | {x['description']} | {x['quantity']} | {money_text(x['unit_price'])} "
        f"| {money_text(x['line_total'])}"
        for x in rec["lines"]
    ]
    deliver = (
        f"Requested delivery date: {g.say_date(rec['requested_delivery'])}\n"
        if "requested_delivery" in rec
        else ""
    )
    return (
        f"From: {c['name']} <{c['email']}>\nSubject: Purchase order {rec['po_number']}\n\n"
        f"Hello {s['name']} team (vendor {s['supplier_id']}),\n\nplease find our purchase "
        f"order {rec['po_number']} dated {g.say_date(rec['order_date'])} below.\n\n"
        f"SKU | Description | Qty | Unit price | Amount\n"
        + "\n".join(rows)
        + f"\n\nSubtotal: {money_text(rec['subtotal'])}\nShipping: "
        f"{money_text(rec['shipping'])}\nTax: {money_text(rec['tax'])}\nOrder total: "
        f"{money_text(rec['total'])}\n\nTerms: {g.say_enum(rec['payment_terms'])}. Ship to:"
        f"\n{b['company']}\n{a['street']}\n{a['city']}, {a['state']} {a['postal_code']}\n"
        f"{deliver}\nThanks,\n{c['name']}" + (f"\n{c['phone']}" if "phone" in c else "")
    )


# -- clinic_visit -----------------------------------------------------------------------------
DIAGNOSES = {
    "J06.9": ("Acute upper respiratory infection", ("amoxicillin", "500 mg")),
    "I10": ("Essential hypertension", ("lisinopril", "10 mg")),
    "E11.9": ("Type 2 diabetes mellitus without complications", ("metformin", "850 mg")),
    "M54.5": ("Low back pain", ("ibuprofen", "400 mg")),
    "J45.909": ("Asthma, uncomplicated", ("albuterol inhaler", "2 puffs")),
    "K21.9": ("Gastro-esophageal reflux disease", ("omeprazole", "20 mg")),
    "F41.1": ("Generalized anxiety disorder", ("sertraline", "50 mg")),
    "R51": ("Headache", ("acetaminophen", "500 mg")),
    "N39.0": ("Urinary tract infection", ("nitrofurantoin", "100 mg")),
}
INSURERS = (
    "Blue Cross Blue Shield",
    "Aetna",
    "UnitedHealthcare",
    "Cigna",
    "Humana",
    "Kaiser Permanente",
)
SPECIALTIES = (
    "family medicine",
    "internal medicine",
    "cardiology",
    "pulmonology",
    "endocrinology",
    "urgent care",
)


def make_clinic_visit(g: Gen) -> dict:
    visit = g.moment()
    born = g.day(date(1940, 1, 1), date(2004, 12, 31))
    patient = {
        "patient_id": g.code("PT-######"),
        "name": g.full_name(),
        "date_of_birth": g.iso(born),
    }
    if g.chance(OPTIONAL):
        patient["age"] = Gen.age_on(born, visit.date())
    if g.chance(OPTIONAL):
        patient["insurance"] = {"provider": g.pick(INSURERS), "member_id": g.code("???#########")}
    clinician = {"name": f"Dr. {g.full_name()}"}
    if g.chance(OPTIONAL):
        clinician["specialty"] = g.pick(SPECIALTIES)
    rec = {
        "visit_id": g.code("V-########"),
        "visit_time": g.iso(visit),
        "patient": patient,
        "clinician": clinician,
    }
    if g.chance(OPTIONAL):
        systolic = g.randint(98, 165)
        vitals = {
            "systolic_bp": systolic,
            "diastolic_bp": g.randint(58, min(100, systolic - 30)),
            "heart_rate": g.randint(52, 118),
        }
        if g.chance(OPTIONAL):
            vitals["temperature_c"] = g.decimal(36.0, 39.4, 1)
        if g.chance(0.5):
            vitals["spo2_percent"] = g.randint(91, 100)
        rec["vitals"] = vitals
    codes = g.sample(list(DIAGNOSES), g.randint(1, 3))
    rec["diagnoses"] = [
        {"code": c, "description": DIAGNOSES[c][0], "primary": i == 0} for i, c in enumerate(codes)
    ]
    if g.chance(OPTIONAL):
        rec["prescriptions"] = []
        for c in codes[: g.randint(1, 2)]:
            medication, dose = DIAGNOSES[c][1]
            rec["prescriptions"].append(
                {
                    "medication": medication,
                    "dose": dose,
                    "frequency": g.pick(
                        ["once_daily", "twice_daily", "three_times_daily", "as_needed"]
                    ),
                    "refills": g.randint(0, 5),
                }
            )
    if g.chance(OPTIONAL):
        needed = g.chance(0.7)
        rec["follow_up"] = {"needed": needed}
        if needed and g.chance(0.8):
            rec["follow_up"]["date"] = g.iso(visit.date() + timedelta(days=g.randint(7, 60)))
    return rec


def _vitals_text(v: dict) -> list[str]:
    parts = [
        f"blood pressure {v['systolic_bp']}/{v['diastolic_bp']} mmHg",
        f"pulse {v['heart_rate']} bpm",
    ]
    if "temperature_c" in v:
        parts.append(f"temperature {number_text(v['temperature_c'])} °C")
    if "spo2_percent" in v:
        parts.append(f"SpO2 {v['spo2_percent']}%")
    return parts


def _follow_up_text(g: Gen, f: dict) -> str:
    if not f["needed"]:
        return "No follow-up visit is needed."
    when = f" on {g.say_date(f['date'])}" if "date" in f else ""
    return f"A follow-up visit is required{when}."


def prose_clinic_visit(g: Gen, rec: dict) -> str:
    p, c = rec["patient"], rec["clinician"]
    age = f", age {p['age']}" if "age" in p else ""
    specialty = f" ({c['specialty']})" if "specialty" in c else ""
    sentences = [
        f"{p['name']} (patient ID {p['patient_id']}, born {g.say_date(p['date_of_birth'])}"
        f"{age}) was seen by {c['name']}{specialty} at {rec['visit_time']} for visit "
        f"{rec['visit_id']}."
    ]
    if "insurance" in p:
        sentences.append(
            f"Coverage is through {p['insurance']['provider']} under member ID "
            f"{p['insurance']['member_id']}."
        )
    if "vitals" in rec:
        sentences.append(f"Vitals: {', '.join(_vitals_text(rec['vitals']))}.")
    dx = [
        f"{d['code']} {d['description']} ({'primary: yes' if d['primary'] else 'not primary'})"
        for d in rec["diagnoses"]
    ]
    sentences.append(f"Assessment: {'; '.join(dx)}.")
    if "prescriptions" in rec:
        scripts = [
            f"{rx['medication']} {rx['dose']} {humanize(rx['frequency'])} with "
            f"{rx['refills']} refill{'' if rx['refills'] == 1 else 's'}"
            for rx in rec["prescriptions"]
        ]
        sentences.append(f"Prescribed: {'; '.join(scripts)}.")
    if "follow_up" in rec:
        sentences.append(_follow_up_text(g, rec["follow_up"]))
    return paragraph(g, sentences)


def message_clinic_visit(g: Gen, rec: dict) -> str:
    p, c = rec["patient"], rec["clinician"]
    lines = [
        f"VISIT NOTE {rec['visit_id']}",
        f"Date/time: {rec['visit_time']}",
        f"Patient: {p['name']} | ID {p['patient_id']} | DOB {p['date_of_birth']}"
        + (f" | Age {p['age']}" if "age" in p else ""),
    ]
    if "insurance" in p:
        lines.append(
            f"Insurance: {p['insurance']['provider']}, member {p['insurance']['member_id']}"
        )
    lines.append(f"Clinician: {c['name']}" + (f", {c['specialty']}" if "specialty" in c else ""))
    if "vitals" in rec:
        lines.append(f"\nO: {'; '.join(_vitals_text(rec['vitals']))}")
    lines.append("A:")
    for i, d in enumerate(rec["diagnoses"], start=1):
        lines.append(
            f"  {i}) {d['code']} {d['description']} - primary: {'yes' if d['primary'] else 'no'}"
        )
    if "prescriptions" in rec:
        lines.append("P:")
        for rx in rec["prescriptions"]:
            lines.append(
                f"  {rx['medication']} {rx['dose']}, {humanize(rx['frequency'])}, "
                f"refills: {rx['refills']}"
            )
    if "follow_up" in rec:
        lines.append(f"Follow-up: {_follow_up_text(g, rec['follow_up'])}")
    lines.append("\nElectronically signed.")
    return "\n".join(lines)


DOMAINS = (
    Domain(
        "purchase_order",
        ("Purchase Order", "PO Details"),
        make_purchase_order,
        prose_purchase_order,
        message_purchase_order,
        intros=("Procurement system export.", "Forwarded to the supplier's order desk."),
        outros=(
            "Please confirm receipt of this order within two business days.",
            "Partial deliveries must be agreed in advance.",
        ),
    ),
    Domain(
        "clinic_visit",
        ("Clinic Visit", "Encounter Summary", "Visit Record"),
        make_clinic_visit,
        prose_clinic_visit,
        message_clinic_visit,
        intros=(
            "Encounter summary from the electronic health record.",
            "Copy sent to the primary care office.",
        ),
        outros=(
            "Confidential medical information.",
            "Patient education material was provided at discharge.",
        ),
    ),
)
