"""The exclusion and review-flag code lists: well-known codes are in, codes that must not be are out.

These lists are data (code_lists/<concept>/<system>.csv); the tests pin the clinical decisions written in
their sidecars, so a regenerated list that silently drops or adds one of them fails here.
"""

from __future__ import annotations

import csv
import re

import pytest

from pain_finder.codelists import CodeList, Domain, ReviewStatus, load_all

EXCLUSIONS = ("research_dissent", "palliative_care", "cancer", "dementia", "opioid_dependence")
FLAGS = (
    "type1_opt_out",
    "type1_opt_out_withdrawn",
    "severe_mental_illness",
    "learning_disability",
    "pregnancy",
    "substance_misuse",
    "care_home",
    "bereavement",
)
SYSTEMS = ("readv2", "ctv3", "snomedct")
BROAD = (
    "palliative_care",
    "cancer",
    "dementia",
    "severe_mental_illness",
    "learning_disability",
    "pregnancy",
    "substance_misuse",
)

LISTS = load_all()


def _list(concept: str, system: str) -> CodeList:
    return LISTS[f"{concept}/{system}"]


def _matched(concept: str, system: str, code: str) -> bool:
    return _list(concept, system).matches(code) is not None


@pytest.mark.parametrize("concept", EXCLUSIONS + FLAGS)
@pytest.mark.parametrize("system", SYSTEMS)
def test_list_exists_with_draft_provenance(concept, system):
    cl = _list(concept, system)
    meta = cl.meta
    assert (meta.concept, meta.code_system.value, meta.domain) == (concept, system, Domain.clinical)
    assert meta.status == ReviewStatus.draft and meta.reviewer is None
    assert str(meta.version_date) == "2026-11-23"
    assert "not yet clinically reviewed" in (meta.notes or "").lower(), meta.notes
    assert "NOT" in meta.captures, "captures must say what the list deliberately leaves out"
    assert all(s.name and s.how_used for s in meta.sources)


@pytest.mark.parametrize("concept", BROAD)
@pytest.mark.parametrize("system", SYSTEMS)
def test_broad_concepts_are_substantial_lists(concept, system):
    cl = _list(concept, system)
    assert len(cl.entries) >= 30, f"{cl.name}: only {len(cl.entries)} codes"


@pytest.mark.parametrize("concept", EXCLUSIONS + FLAGS)
@pytest.mark.parametrize("system", SYSTEMS)
def test_every_left_out_code_has_a_specific_reason_and_a_cited_source(concept, system):
    cl = _list(concept, system)
    path = cl.csv_path.with_name(f"{system}.left_out.csv")
    if not path.is_file():
        return
    cited = {s.reference_file for s in cl.meta.sources if s.reference_file}
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, f"{path} is empty"
    for row in rows:
        assert row["source"] in cited, f"{path}: {row['source']} is not a cited reference_file"
        assert len(row["reason"]) >= 30, (
            f"{path}: reason for {row['code']} is not specific: {row['reason']!r}"
        )
        assert cl.matches(row["code"]) is None, f"{path}: {row['code']} is both in the list and left out"


# (concept, system, code) that must be matched
MUST_MATCH = [
    ("dementia", "readv2", "Eu00."),
    ("dementia", "readv2", "F110."),
    ("dementia", "ctv3", "F110."),
    ("dementia", "ctv3", "Eu00."),
    ("dementia", "snomedct", "52448006"),
    ("dementia", "snomedct", "26929004"),
    ("palliative_care", "readv2", "Z172."),
    ("palliative_care", "readv2", "9Ng7."),
    ("palliative_care", "ctv3", "XaEJE"),
    ("palliative_care", "ctv3", "XaRFG"),
    ("palliative_care", "snomedct", "103735009"),
    ("palliative_care", "snomedct", "526631000000108"),
    ("cancer", "readv2", "B34.."),
    ("cancer", "readv2", "B22z."),
    ("cancer", "readv2", "B32.."),
    ("cancer", "ctv3", "B34.."),
    ("cancer", "snomedct", "254837009"),
    ("cancer", "snomedct", "363346000"),
    ("opioid_dependence", "readv2", "E240."),
    ("opioid_dependence", "readv2", "E2401"),  # E2401 via the E240 prefix
    ("opioid_dependence", "readv2", "Eu112"),
    ("opioid_dependence", "ctv3", "Eu112"),
    ("opioid_dependence", "snomedct", "75544000"),
    ("opioid_dependence", "snomedct", "200031000000103"),
    ("research_dissent", "readv2", "9Nu4."),
    ("research_dissent", "ctv3", "XaaVL"),
    ("research_dissent", "snomedct", "881561000000100"),
    ("type1_opt_out", "readv2", "9Nu0."),
    ("type1_opt_out", "ctv3", "XaZ89"),
    ("type1_opt_out", "snomedct", "827241000000103"),
    ("type1_opt_out_withdrawn", "readv2", "9Nu1."),
    ("severe_mental_illness", "readv2", "E10.."),
    ("severe_mental_illness", "readv2", "Eu20."),
    ("severe_mental_illness", "ctv3", "E10.."),
    ("severe_mental_illness", "snomedct", "58214004"),
    ("severe_mental_illness", "snomedct", "13746004"),
    ("learning_disability", "readv2", "E3..."),
    ("learning_disability", "readv2", "Eu7.."),
    ("learning_disability", "ctv3", "PJ00."),
    ("learning_disability", "snomedct", "110359009"),
    ("learning_disability", "snomedct", "41040004"),
    ("pregnancy", "readv2", "62..."),
    ("pregnancy", "readv2", "6211."),
    ("pregnancy", "ctv3", "62..."),
    ("pregnancy", "snomedct", "77386006"),
    ("substance_misuse", "readv2", "E23.."),
    ("substance_misuse", "readv2", "E2311"),
    ("substance_misuse", "readv2", "Eu122"),
    ("substance_misuse", "readv2", "136W."),
    ("substance_misuse", "ctv3", "XaKvB"),
    ("substance_misuse", "snomedct", "66590003"),
    ("substance_misuse", "snomedct", "228388006"),
    ("care_home", "readv2", "13FX."),
    ("care_home", "readv2", "13F61"),
    ("care_home", "ctv3", "XaMFG"),
    ("care_home", "snomedct", "248171000000108"),
    ("care_home", "snomedct", "160734000"),
    ("bereavement", "readv2", "13Hc."),
    ("bereavement", "readv2", "E2900"),
    ("bereavement", "ctv3", "Ua1q5"),
    ("bereavement", "snomedct", "74506000"),
]

# (concept, system, code, why) that must NOT be matched
MUST_NOT_MATCH = [
    ("research_dissent", "readv2", "9Nu0.", "type 1 opt-out is its own review flag"),
    ("research_dissent", "ctv3", "XaZ89", "type 1 opt-out is its own review flag"),
    ("research_dissent", "snomedct", "827241000000103", "type 1 opt-out is its own review flag"),
    (
        "research_dissent",
        "readv2",
        "9Nd1.",
        "refusal of record sharing for direct care is not research dissent",
    ),
    ("type1_opt_out", "readv2", "9Nu1.", "a withdrawal is not an opt-out"),
    ("type1_opt_out", "readv2", "9Nu4.", "the retired type 2 objection is not type 1"),
    ("type1_opt_out_withdrawn", "readv2", "9Nu0.", "the opt-out itself does not withdraw it"),
    ("cancer", "readv2", "B33..", "non-melanoma skin cancer"),
    ("cancer", "ctv3", "X78SS", "basal cell carcinoma of skin"),
    ("cancer", "readv2", "ZV106", "history code: the 5-year window cannot date it"),
    ("cancer", "readv2", "K5510", "anaplasia of cervix is not invasive cancer"),
    ("cancer", "snomedct", "119247004", "hypoalbuminaemia is not cancer"),
    ("dementia", "readv2", "E2A2.", "post-concussion syndrome is not dementia"),
    ("dementia", "readv2", "4L49.", "a laboratory test"),
    ("palliative_care", "snomedct", "306597006", "discharged from palliative care"),
    ("palliative_care", "snomedct", "313372007", "death is the deceased exclusion"),
    ("opioid_dependence", "snomedct", "87132004", "withdrawal follows tapering of prescribed opioids"),
    ("opioid_dependence", "snomedct", "191816009", "drug dependence not specific to opioids"),
    ("opioid_dependence", "snomedct", "85005007", "cannabis dependence"),
    ("opioid_dependence", "snomedct", "191871005", "combined drug dependence EXCLUDING opioids"),
    ("severe_mental_illness", "snomedct", "35489007", "depressive disorder is not SMI"),
    ("severe_mental_illness", "readv2", "E0101", "not in the list, and not SMI (control)"),
    ("learning_disability", "snomedct", "889211000000104", "specific learning disability (dyslexia)"),
    ("learning_disability", "snomedct", "702732007", "high-functioning autism"),
    ("pregnancy", "snomedct", "237014000", "postpartum operation ends a pregnancy"),
    ("pregnancy", "readv2", "1513.", "last menstrual period is recorded outside pregnancy"),
    ("substance_misuse", "readv2", "Eu17.", "tobacco"),
    ("substance_misuse", "readv2", "Eu171", "tobacco"),
    ("substance_misuse", "readv2", "136K.", "drinking above sensible limits is not misuse"),
    ("substance_misuse", "snomedct", "228367002", "does not misuse drugs"),
    ("substance_misuse", "snomedct", "836439001", "nicotine"),
    ("care_home", "snomedct", "1024771000000108", "lives in hospice: palliative care"),
    ("bereavement", "readv2", "Eu432", "adjustment disorders in general (Eu43212 normalises to Eu432)"),
]


@pytest.mark.parametrize(
    ("concept", "system", "code"), MUST_MATCH, ids=[f"{c}/{s}:{k}" for c, s, k in MUST_MATCH]
)
def test_well_known_codes_are_in(concept, system, code):
    assert _matched(concept, system, code), f"{concept}/{system} does not match {code}"


@pytest.mark.parametrize(
    ("concept", "system", "code", "why"),
    MUST_NOT_MATCH,
    ids=[f"{c}/{s}:{k}" for c, s, k, _ in MUST_NOT_MATCH],
)
def test_codes_that_must_not_be_there_are_not(concept, system, code, why):
    assert not _matched(concept, system, code), f"{concept}/{system} matches {code}, but must not: {why}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_type1_opt_out_codes_are_in_no_exclusion_list(system):
    type1 = {e.code for e in _list("type1_opt_out", system).entries}
    for concept in EXCLUSIONS:
        hits = {c for c in type1 if _matched(concept, system, c)}
        assert not hits, f"{concept}/{system} contains type 1 opt-out codes {hits}"


@pytest.mark.parametrize("system", SYSTEMS)
def test_opioid_dependence_is_inside_substance_misuse(system):
    """The sidecars promise this overlap: the exclusion wins, the flag never has a gap."""
    missing = [
        e.code
        for e in _list("opioid_dependence", system).entries
        if not _matched("substance_misuse", system, e.code)
    ]
    assert missing == [], missing


@pytest.mark.parametrize("system", SYSTEMS)
def test_pregnancy_has_no_negative_or_outcome_terms(system):
    current = (
        r"a/n|antenatal|high risk pregnancy|threatened|h/o|history"  # a current pregnancy with a past event
    )
    bad = [
        (e.code, e.term)
        for e in _list("pregnancy", system).entries
        if re.search(
            r"\bnot pregnant\b|pregnancy test negative|postnatal check|miscarriage|stillbirth", e.term.lower()
        )
        and not re.search(current, e.term.lower())
    ]
    assert bad == [], bad


@pytest.mark.parametrize("system", SYSTEMS)
def test_cancer_has_no_non_melanoma_skin_cancer(system):
    bad = [
        (e.code, e.term)
        for e in _list("cancer", system).entries
        if re.search(r"basal cell carcinoma|rodent ulcer|squamous cell carcinoma of skin", e.term.lower())
        and "metasta" not in e.term.lower()
    ]  # metastatic basal/squamous cell carcinoma is kept on purpose
    assert bad == [], bad
