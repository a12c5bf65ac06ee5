"""The pain, fit-note and medication code lists contain the well-known codes they must, with the right doses.

Every code below was checked against the published lists in shared/reference/codelists (GM-SDE, OpenSAFELY).
"""

from __future__ import annotations

import pytest

from pain_finder.codelist_coverage import read_left_out
from pain_finder.codelists import load_all

LISTS = load_all()


def _dose(name: str, code: str) -> dict[str, str]:
    entry = LISTS[name].matches(code)
    assert entry is not None, f"{code} is not in {name}"
    return dict(entry.dose)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("chronic_pain_condition/readv2", "N248."),  # Fibromyalgia
        ("chronic_pain_condition/readv2", "1M52."),  # Chronic pain
        ("chronic_pain_condition/readv2", "16C9."),  # Chronic low back pain
        ("chronic_pain_condition/readv2", "8HVk."),  # Private referral to pain management service
        ("chronic_pain_condition/ctv3", "XSGKA"),  # Chronic pain
        ("chronic_pain_condition/ctv3", "Xa0sK"),  # Chronic low back pain
        ("chronic_pain_condition/snomedct", "82423001"),  # Chronic pain
        ("chronic_pain_condition/snomedct", "373621006"),  # Chronic pain syndrome
        ("chronic_pain_condition/snomedct", "203082005"),  # Fibromyalgia
        ("chronic_pain_condition/snomedct", "2177002"),  # Post-herpetic neuralgia
        ("pain_condition/readv2", "N142."),  # Pain in lumbar spine
        ("pain_condition/readv2", "N143."),  # Sciatica
        ("pain_condition/readv2", "N05z9"),  # Osteoarthritis NOS, of shoulder (under N05.. with descendants)
        ("pain_condition/ctv3", "XM1GI"),  # Back pain
        ("pain_condition/ctv3", "XE1FC"),  # Sciatica
        ("pain_condition/snomedct", "279039007"),  # Low back pain
        ("pain_condition/snomedct", "23056005"),  # Sciatica
        ("fit_note/readv2", "9D11."),  # MED3 issued to patient
        ("fit_note/ctv3", "XaX1E"),  # eMED3 (2010) new statement issued, not fit for work
        ("fit_note/ctv3", "XaX1K"),  # eMED3 (2010) new statement issued, may be fit for work
        ("fit_note/snomedct", "751481000000104"),  # eMED3 (2010) new statement issued, not fit for work
        ("fit_note/snomedct", "751601000000107"),  # eMED3 (2010) new statement issued, may be fit for work
        ("gabapentinoid/readv2", "dnj2."),  # GABAPENTIN 300mg capsules
        ("gabapentinoid/readv2", "dnpx."),  # PREGABALIN 75mg capsules
        ("gabapentinoid/bnf", "0408010G0AAABAB"),  # Gabapentin 300mg capsules
        ("gabapentinoid/bnf", "0408010AEAAACAC"),  # Pregabalin 75mg capsules
        ("opioid/bnf", "0407010F0AAAHAH"),  # Co-codamol 30mg/500mg tablets
        ("opioid/bnf", "0407020A0AAAEAE"),  # Fentanyl 25micrograms/hour patches
        ("opioid/readv2", "dia2."),  # CO-CODAMOL 8mg/500mg tablets
        ("opioid_substitution/bnf", "0410030"),  # BNF 4.10.3 opioid dependence (the prefix row itself)
    ],
)
def test_well_known_codes_are_listed(name, code):
    assert LISTS[name].matches(code) is not None, f"{code} should be in {name}"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("pain_condition/readv2", "1B1G."),  # Headache: out of scope
        ("pain_condition/readv2", "1969."),  # Abdominal pain: out of scope
        ("pain_condition/readv2", "N040."),  # Rheumatoid arthritis: disease code, not a pain record
        (
            "chronic_pain_condition/readv2",
            "N142.",
        ),  # Pain in lumbar spine: needs persistence (pain_condition)
        ("fit_note/ctv3", "9DF0."),  # MED4 - issued to patient: not a fit note
        ("fit_note/snomedct", "224459001"),  # On sick leave from work: status, not a fit note
        ("opioid/bnf", "0410030C0AAAAAA"),  # BNF 4.10.3: opioid dependence
        ("opioid/bnf", "0309010C0AAAAAA"),  # codeine linctus (cough)
        ("gabapentinoid/bnf", "0407030ADAAAAAA"),  # gabapentin gel
    ],
)
def test_out_of_scope_codes_are_not_listed(name, code):
    assert LISTS[name].matches(code) is None, f"{code} should not be in {name}"


@pytest.mark.parametrize(
    ("name", "source", "code", "reason_fragment"),
    [
        ("pain_condition/readv2", "chronic_pain/chronic-pain.readv2.txt", "1B1G.", "headache"),
        ("pain_condition/readv2", "chronic_pain/chronic-pain.readv2.txt", "1969.", "abdominal"),
        (
            "chronic_pain_condition/readv2",
            "chronic_pain/neuropathic-pain.readv2.txt",
            "N143.",
            "in pain_condition",
        ),
        ("opioid/dmd", "opioids/opioidCodesA.txt", "36120711000001104", "opioid_substitution"),
        (
            "gabapentinoid/dmd",
            "gabapentinoids/user-anschaf-gabapentinoids-dmd.csv",
            "17651711000001105",
            "gel",
        ),
    ],
)
def test_left_out_codes_say_why(name, source, code, reason_fragment):
    reason = read_left_out(LISTS[name]).get((source, code), "")
    assert reason_fragment in reason, f"{name}: {code} from {source} left out with reason {reason!r}"


def test_co_codamol_30_500_tablets_vmp_has_codeine_30mg_and_ome_factor():
    assert _dose("opioid/dmd", "42009811000001101") == {
        "ingredient": "codeine",
        "form": "tablet",
        "strength_mg": "30",
        "ome_factor": "0.1",
    }


def test_liquid_strength_is_per_ml():
    # Morphine sulfate 10mg/5ml oral solution -> 2 mg per ml, oral factor 1
    assert _dose("opioid/dmd", "36128311000001101") == {
        "ingredient": "morphine",
        "form": "oral_liquid",
        "strength_mg": "2",
        "ome_factor": "1",
    }


def test_patches_carry_rate_and_wear_time():
    # Fentanyl 25 micrograms/hour patches: 72 h; buprenorphine 35 micrograms/hour: 96 h (as OpenPrescribing)
    assert _dose("opioid/dmd", "36120011000001101") == {
        "ingredient": "fentanyl",
        "form": "patch",
        "patch_mcg_per_hour": "25",
        "patch_hours": "72",
        "ome_factor": "100",
    }
    assert _dose("opioid/dmd", "35913711000001103")["patch_hours"] == "96"


def test_methadone_1mg_per_ml_oral_solution_is_substitution_not_analgesic():
    vmp = "36120711000001104"  # Methadone 1mg/ml oral solution
    assert LISTS["opioid_substitution/dmd"].matches(vmp) is not None
    assert LISTS["opioid/dmd"].matches(vmp) is None


def test_gabapentin_300mg_capsules_vmp_has_strength():
    assert _dose("gabapentinoid/dmd", "42129711000001109") == {
        "ingredient": "gabapentin",
        "form": "capsule",
        "strength_mg": "300",
    }


def test_opioid_and_substitution_lists_do_not_overlap():
    for system in ("dmd", "bnf"):
        ours = {e.code for e in LISTS[f"opioid/{system}"].entries}
        subst = {e.code for e in LISTS[f"opioid_substitution/{system}"].entries}
        assert not ours & subst, (
            f"{system}: in both opioid and opioid_substitution: {sorted(ours & subst)[:5]}"
        )


def test_chronic_and_persistence_lists_are_disjoint():
    for system in ("readv2", "ctv3", "snomedct"):
        chronic = {e.code for e in LISTS[f"chronic_pain_condition/{system}"].entries}
        pain = {e.code for e in LISTS[f"pain_condition/{system}"].entries}
        assert not chronic & pain, f"{system}: {sorted(chronic & pain)[:5]}"


def test_medication_lists_fill_dose_columns_for_most_products():
    rows = LISTS["opioid/dmd"].entries
    with_strength = sum(1 for e in rows if {"strength_mg", "patch_mcg_per_hour"} & dict(e.dose).keys())
    with_ome = sum(1 for e in rows if "ome_factor" in dict(e.dose))
    assert with_strength / len(rows) > 0.95, f"{with_strength}/{len(rows)} opioid products with a strength"
    assert with_ome / len(rows) > 0.95, f"{with_ome}/{len(rows)} opioid products with an OME factor"
