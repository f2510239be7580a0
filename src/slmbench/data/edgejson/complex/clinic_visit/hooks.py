"""Clinic visit: the age is the patient's on the visit day; the diastolic pressure is at
least 30 below the systolic; the first diagnosis is the primary one; prescriptions treat
the first diagnoses; a follow-up date comes 7 to 60 days after the visit, and only when a
follow-up is needed."""

from __future__ import annotations

from datetime import date, timedelta


def adjust(gold: dict, g, tables: dict) -> None:
    visit = date.fromisoformat(gold["visit_time"][:10])
    patient = gold["patient"]
    if "age" in patient:
        patient["age"] = g.age_on(date.fromisoformat(patient["date_of_birth"]), visit)
    vitals = gold.get("vitals")
    if vitals:
        vitals["diastolic_bp"] = g.randint(58, min(100, vitals["systolic_bp"] - 30))
    icd10 = tables["icd10"]
    for i, diagnosis in enumerate(gold["diagnoses"]):
        diagnosis["description"] = icd10[diagnosis["code"]][0]
        diagnosis["primary"] = i == 0
    if "prescriptions" in gold:
        treated = gold["diagnoses"][: len(gold["prescriptions"])]
        gold["prescriptions"] = gold["prescriptions"][: len(treated)]
        for rx, diagnosis in zip(gold["prescriptions"], treated, strict=True):
            _, rx["medication"], rx["dose"] = icd10[diagnosis["code"]]
    follow_up = gold.get("follow_up")
    if follow_up:
        if not follow_up["needed"]:
            follow_up.pop("date", None)
        elif "date" in follow_up:
            follow_up["date"] = (visit + timedelta(days=g.randint(7, 60))).isoformat()
