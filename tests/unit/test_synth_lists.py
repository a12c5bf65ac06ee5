"""Small stand-in code lists for the synth tests: every concept the generator uses, in every system it needs.

Codes are real-looking (some real) but the lists are tiny; the tests check the generator's behaviour, not the
clinical content (which lives in code_lists/ and has its own tests).
"""

from __future__ import annotations

from pathlib import Path

SIDECAR = """concept = "{concept}"
code_system = "{system}"
domain = "{domain}"
title = "test list"
captures = "test"
version_date = 2026-11-23
status = "draft"
[[sources]]
name = "test"
how_used = "test"
"""

CLINICAL: dict[str, dict[str, list[tuple[str, str]]]] = {
    "chronic_pain_condition": {
        "readv2": [("1M52.", "Chronic pain")],
        "ctv3": [("XE2uY", "Chronic pain")],
        "snomedct": [("82423001", "Chronic pain")],
    },
    "pain_condition": {
        "readv2": [("N142.", "Pain in lumbar spine"), ("N131.", "Cervicalgia")],
        "ctv3": [("N142.", "Low back pain"), ("XE1FL", "Neck pain")],
        "snomedct": [("279039007", "Low back pain"), ("81680005", "Neck pain")],
    },
    "fit_note": {
        "readv2": [("9D11.", "Med3 - doctor's statement"), ("9D1B.", "Fit note - may be fit for work")],
        "ctv3": [("XaIRC", "Med3 issued"), ("XaX5V", "Fit note - may be fit for work")],
        "snomedct": [
            ("1331000000103", "Medical certificate issued (not fit for work)"),
            ("1341000000107", "Med3 certificate - may be fit for work"),
        ],
    },
    "research_dissent": {
        "readv2": [("9R1..", "Research dissent")],
        "ctv3": [("XaaVL", "Research dissent")],
        "snomedct": [("1272291000000101", "Research dissent")],
    },
    "palliative_care": {
        "readv2": [("8CM1.", "On gold standards palliative care framework")],
        "ctv3": [("XaBP1", "Palliative care")],
        "snomedct": [("103735009", "Palliative care")],
    },
    "cancer": {
        "readv2": [("B13..", "Malignant neoplasm of colon")],
        "ctv3": [("B13..", "Malignant neoplasm of colon")],
        "snomedct": [("363406005", "Malignant tumour of colon")],
    },
    "dementia": {
        "readv2": [("Eu02.", "Dementia")],
        "ctv3": [("XE1Xs", "Dementia")],
        "snomedct": [("52448006", "Dementia")],
    },
    "opioid_dependence": {
        "readv2": [("E2401", "Opioid dependence")],
        "ctv3": [("E2401", "Opioid dependence")],
        "snomedct": [("75544000", "Opioid dependence")],
    },
    "type1_opt_out": {
        "readv2": [("9Nu0.", "Dissent from secondary use")],
        "ctv3": [("XaZ89", "Type 1 opt out")],
        "snomedct": [("827241000000103", "Dissent from secondary use of GP patient identifiable data")],
    },
    "type1_opt_out_withdrawn": {
        "readv2": [("9Nu1.", "Dissent withdrawn")],
        "ctv3": [("XaZ8A", "Withdrawn")],
        "snomedct": [("827261000000102", "Dissent withdrawn")],
    },
    "severe_mental_illness": {
        "readv2": [("E10..", "Schizophrenic disorders")],
        "ctv3": [("E10..", "Schizophrenia")],
        "snomedct": [("58214004", "Schizophrenia")],
    },
    "learning_disability": {
        "readv2": [("E3...", "Learning disability")],
        "ctv3": [("E3...", "Learning disability")],
        "snomedct": [("110359009", "Intellectual disability")],
    },
    "pregnancy": {
        "readv2": [("62...", "Patient pregnant")],
        "ctv3": [("62...", "Pregnant")],
        "snomedct": [("77386006", "Pregnancy")],
    },
    "substance_misuse": {
        "readv2": [("E24..", "Drug dependence")],
        "ctv3": [("E24..", "Drug dependence")],
        "snomedct": [("26416006", "Drug abuse")],
    },
    "care_home": {
        "readv2": [("13F61", "Lives in a nursing home")],
        "ctv3": [("13F61", "Nursing home")],
        "snomedct": [("160734000", "Lives in a nursing home")],
    },
    "bereavement": {
        "readv2": [("13M1.", "Bereavement")],
        "ctv3": [("13M1.", "Bereavement")],
        "snomedct": [("8671006", "Bereavement")],
    },
}
MED_HEADER = "code,term,ingredient,form,strength_mg,patch_mcg_per_hour,patch_hours,ome_factor,bnf_code"
MEDICATION: dict[str, dict[str, list[str]]] = {
    "opioid": {
        "dmd": [
            "42009811000001101,Co-codamol 30mg/500mg tablets,codeine phosphate,tablet,30,,,0.1,"
            "0407010F0AAAHAH",
            "42017811000001106,Tramadol 50mg capsules,tramadol,capsule,50,,,0.1,040702040AAAAAA",
            "36126511000001106,Morphine 10mg modified-release tablets,morphine,tablet,10,,,1,0407020Q0AAAKAK",
            "36128311000001101,Morphine sulfate 10mg/5ml oral solution,morphine,oral_liquid,2,,,1,"
            "0407020Q0AACNCN",
            "9567411000001100,Buprenorphine 10micrograms/hour transdermal patches,buprenorphine,"
            "patch,,10,168,,0407020B0AAAIAI",
            "36120011000001101,Fentanyl 25micrograms/hour transdermal patches,fentanyl,patch,,25,72,,"
            "0407020A0AAAEAE",
        ],
        "readv2": [
            "dia2.,CO-CODAMOL 8mg/500mg tablets,codeine phosphate,tablet,8,,,0.1,",
            "dj3o.,BUPRENORPHINE 5micrograms/hour patches,buprenorphine,patch,,5,168,,",
            "djP1.,TRAMADOL 50mg capsules,tramadol,capsule,50,,,0.1,",
        ],
    },
    "gabapentinoid": {
        "dmd": [
            "42129711000001109,Gabapentin 300mg capsules,gabapentin,capsule,300,,,,0408010G0AAABAB",
            "42135711000001109,Pregabalin 75mg capsules,pregabalin,capsule,75,,,,0408010AEAAACAC",
        ],
        "readv2": ["dnj2.,GABAPENTIN 300mg capsules,gabapentin,capsule,300,,,,"],
    },
    "opioid_substitution": {
        "dmd": [
            "36120711000001104,Methadone 1mg/ml oral solution,methadone,oral_liquid,1,,,,0410030A0AAAAAA"
        ],
        "readv2": ["dj6t.,METHADONE 1mg/ml mixture,methadone,oral_liquid,1,,,,"],
    },
}


def write_lists(
    root: Path,
    *,
    systems: tuple[str, ...] = ("readv2", "ctv3", "snomedct", "dmd"),
    concepts: tuple[str, ...] | None = None,
) -> Path:
    """Write the stand-in lists under `root` and return it."""
    for concept, by_system in CLINICAL.items():
        if concepts is not None and concept not in concepts:
            continue
        for system, rows in by_system.items():
            if system not in systems:
                continue
            folder = root / concept
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{system}.csv").write_text("code,term\n" + "".join(f'{c},"{t}"\n' for c, t in rows))
            (folder / f"{system}.toml").write_text(
                SIDECAR.format(concept=concept, system=system, domain="clinical")
            )
    for concept, by_system in MEDICATION.items():
        if concepts is not None and concept not in concepts:
            continue
        for system, rows in by_system.items():
            if system not in systems:
                continue
            folder = root / concept
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{system}.csv").write_text(MED_HEADER + "\n" + "".join(r + "\n" for r in rows))
            (folder / f"{system}.toml").write_text(
                SIDECAR.format(concept=concept, system=system, domain="medication")
            )
    return root


def test_the_stand_in_lists_load_as_code_lists(tmp_path):
    from pain_finder.codelists import load_all

    lists = load_all(write_lists(tmp_path))
    assert len(lists) == 3 * len(CLINICAL) + 2 * len(
        MEDICATION
    )  # clinical: 3 systems; medicines: dmd, readv2
    assert lists["opioid/dmd"].entries[0].dose[:2] == (
        ("ingredient", "codeine phosphate"),
        ("form", "tablet"),
    )


# Products a GP would not issue as written before the dose fixes: 24-hour and 12-hourly modified-release
# tramadol, strengths at or over a daily maximum, concentrates, mixtures, packs, injections, acute-only
# combinations. `write_tricky_lists` puts them in the dm+d opioid and gabapentinoid lists.
TRICKY_MEDICATION: dict[str, list[str]] = {
    "opioid": [
        "42009811000001101,Co-codamol 30mg/500mg tablets,codeine phosphate,tablet,30,,,0.1,0407010F0AAAHAH",
        "90000011000001104,Codeine 60mg tablets,codeine phosphate,tablet,60,,,0.1,",
        "90000111000001100,Zamadol 24hr 400mg modified-release tablets,tramadol,tablet,400,,,0.1,",
        "90000211000001107,Tramadol 400mg modified-release tablets,tramadol,tablet,400,,,0.1,",
        "90000311000001103,Tramadol 200mg modified-release tablets,tramadol,tablet,200,,,0.1,",
        "90000411000001105,Tramadol 75mg / Dexketoprofen 25mg tablets,tramadol,tablet,75,,,0.1,",
        "36126511000001106,Morphine 10mg modified-release tablets,morphine,tablet,10,,,1,0407020Q0AAAKAK",
        "90000511000001109,MXL 60mg capsules,morphine,capsule,60,,,1,",
        "36128311000001101,Morphine sulfate 10mg/5ml oral solution,morphine,oral_liquid,2,,,1,"
        "0407020Q0AACNCN",
        "90000611000001108,Morphine sulfate 20mg/ml oral solution sugar free,morphine,oral_liquid,20,,,1,",
        "90000711000001101,Morphine and Cocaine elixir,morphine,oral_liquid,,,,,",
        "90000811000001106,Morphine 10mg/1ml solution for injection ampoules,morphine,injection,10,,,2,",
        "90000911000001102,Oxycodone 80mg modified-release tablets,oxycodone,tablet,80,,,1.5,",
        "9567411000001100,Buprenorphine 10micrograms/hour transdermal patches,buprenorphine,"
        "patch,,10,168,100,0407020B0AAAIAI",
        "36120011000001101,Fentanyl 25micrograms/hour transdermal patches,fentanyl,patch,,25,72,100,"
        "0407020A0AAAEAE",
        "90001011000001106,Fentanyl 100micrograms/hour transdermal patches,fentanyl,patch,,100,72,100,",
    ],
    "gabapentinoid": [
        "42129711000001109,Gabapentin 300mg capsules,gabapentin,capsule,300,,,,0408010G0AAABAB",
        "90001111000001102,Gabapentin 300mg capsules/600mg tablets titration pack,gabapentin,capsule,300,,,,",
        "42135711000001109,Pregabalin 75mg capsules,pregabalin,capsule,75,,,,0408010AEAAACAC",
    ],
}
TRICKY_NOT_ISSUED = (
    "Morphine sulfate 20mg/ml oral solution sugar free",
    "Morphine and Cocaine elixir",
    "Morphine 10mg/1ml solution for injection ampoules",
    "Oxycodone 80mg modified-release tablets",  # 240 mg oral morphine a day at one twice a day
    "Fentanyl 100micrograms/hour transdermal patches",  # 240 mg oral morphine a day
    "Gabapentin 300mg capsules/600mg tablets titration pack",
)


def write_tricky_lists(root: Path) -> Path:
    """The stand-in lists, with the dm+d opioid and gabapentinoid lists replaced by TRICKY_MEDICATION."""
    write_lists(root)
    for concept, rows in TRICKY_MEDICATION.items():
        (root / concept / "dmd.csv").write_text(MED_HEADER + "\n" + "".join(r + "\n" for r in rows))
    return root


def write_bnf_list(root: Path, concept: str, rows: list[tuple[str, str]]) -> None:
    """A BNF list (every code a prefix, as the packaged BNF lists are) for `concept` under `root`."""
    folder = root / concept
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bnf.csv").write_text(
        "code,term,include_descendants\n" + "".join(f'{c},"{t}",true\n' for c, t in rows)
    )
    (folder / "bnf.toml").write_text(SIDECAR.format(concept=concept, system="bnf", domain="medication"))


def test_the_tricky_lists_load(tmp_path):
    from pain_finder.codelists import load_all

    lists = load_all(write_tricky_lists(tmp_path))
    assert len(lists["opioid/dmd"].entries) == len(TRICKY_MEDICATION["opioid"])
