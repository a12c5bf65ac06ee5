"""summary.py: building, writing and reading summary.json; nothing patient-level can get into it."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pain_finder.counts import (
    AGE_BANDS,
    EXCLUSION_REASONS,
    REVIEW_FLAGS,
    SEXES,
    SIGNAL_COMBINATIONS,
    AttritionStep,
    ExactCounts,
    simulated_counts,
)
from pain_finder.disclosure import Cell, DisclosurePolicy
from pain_finder.errors import InputError
from pain_finder.summary import (
    SUMMARY_KIND,
    build_summary,
    canonical_json,
    exact_flat,
    read_summary,
    write_summary,
)

AS_OF = dt.date(2026, 9, 30)
DEFINITION = {"population": {"min_age": 18, "max_age": 64}, "chronic_pain": {"lookback_months": 24}}
DESCRIPTION = "Aged 18-64; chronic pain in 24 months; opioid, gabapentinoid or fit note in 12 months."


def summarise(exact: ExactCounts, policy: DisclosurePolicy | None = None):
    return build_summary(
        exact,
        as_of=AS_OF,
        fingerprint="0123456789abcdef",
        definition=DEFINITION,
        description=DESCRIPTION,
        policy=policy or DisclosurePolicy(),
        software_version="0.1.0",
        code_lists={"opioid/dmd": "ab" * 32, "fit_note/snomedct": "cd" * 32},
    )


def test_every_cell_holds_the_truth_and_no_small_number():
    exact = simulated_counts("A81001", seed=3, registered=9000)
    summary = summarise(exact)
    truth, _ = exact_flat(exact)
    cells = summary.counts.flat()
    assert list(cells) == list(truth)
    for name, cell in cells.items():
        assert cell.lower <= truth[name] <= cell.upper, (name, cell, truth[name])
        assert cell.value is None or not 1 <= cell.value <= 7, (name, cell)
        if truth[name] == 0:
            assert cell == Cell(value=0, lower=0, upper=0), name


def test_schema_shape():
    summary = summarise(simulated_counts("A81001", seed=1))
    data = json.loads(canonical_json(summary))
    assert sorted(data) == [
        "as_of",
        "code_lists",
        "counts",
        "definition",
        "description",
        "fingerprint",
        "kind",
        "policy",
        "practice_id",
        "schema_version",
        "software_version",
    ]
    assert data["schema_version"] == 1 and data["kind"] == SUMMARY_KIND
    assert data["policy"] == {"mode": "standard", "threshold": 7, "rounding_base": 5}
    assert [s["key"] for s in data["counts"]["attrition"]] == [
        "registered",
        "working_age",
        "chronic_pain",
        "signal",
        *(f"after_{r}" for r in EXCLUSION_REASONS),
        "candidates",
    ]
    assert sorted(data["counts"]["candidates_by_age_band"]) == sorted(b for b, _, _ in AGE_BANDS)
    assert sorted(data["counts"]["candidates_by_sex"]) == sorted(SEXES)
    assert sorted(data["counts"]["candidates_by_signal"]) == sorted(SIGNAL_COMBINATIONS)
    assert sorted(data["counts"]["flagged_by_flag"]) == sorted(REVIEW_FLAGS)
    assert sorted(data["counts"]["removed_by_reason"]) == sorted(EXCLUSION_REASONS)


def test_age_band_labels_name_exactly_the_ages_counted_and_cover_the_default_range():
    from pain_finder.config import PopulationCriteria  # noqa: PLC0415

    # each label is "youngest-oldest" of the ages the band counts (both included)...
    assert [label for label, _, _ in AGE_BANDS] == [f"{low}-{high}" for _, low, high in AGE_BANDS]
    # ...and the bands, in order and without gaps or overlaps, are exactly the default age range 18-64
    ages = [age for _, low, high in AGE_BANDS for age in range(low, high + 1)]
    default = PopulationCriteria()
    assert ages == list(range(default.min_age, default.max_age + 1)), AGE_BANDS
    # the published labels (summary.json keys and their readable labels) are the same
    summary = summarise(simulated_counts("A81001", seed=1))
    assert list(summary.counts.candidates_by_age_band) == ["18-29", "30-39", "40-49", "50-64"]


def test_write_then_read_is_identical_and_canonical(tmp_path):
    summary = summarise(simulated_counts("A81001", seed=2))
    path = tmp_path / "summary.json"
    write_summary(summary, path)
    text = path.read_text(encoding="utf-8")
    assert text.endswith("}\n") and text.startswith('{\n  "as_of": "2026-09-30",')
    again = read_summary(path)
    assert again == summary
    write_summary(again, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.json", "summary.json"]  # no temporary left


def test_missing_breakdown_keys_are_zero_and_promoted_flags_are_removal_reasons():
    exact = ExactCounts(
        practice_id="B82002",
        attrition=[
            AttritionStep(key="registered", label="Registered", count=100),
            AttritionStep(key="working_age", label="Working age", count=60),
            AttritionStep(key="chronic_pain", label="Chronic pain", count=30),
            AttritionStep(key="signal", label="Signal", count=20),
            AttritionStep(key="after_pregnancy", label="After excluding pregnancy", count=18),
            AttritionStep(key="candidates", label="Candidates", count=18),
        ],
        removed_by_reason={"pregnancy": 2},
        flagged_by_flag={},
        candidates_by_age_band={"50-64": 18},
        candidates_by_sex={"female": 18},
        candidates_by_signal={"opioid_only": 18},
    )
    counts = summarise(exact).counts
    assert list(counts.removed_by_reason) == [*EXCLUSION_REASONS, "pregnancy"]
    assert counts.removed_by_reason["pregnancy"].suppressed
    assert counts.candidates_by_sex["male"] == Cell(value=0, lower=0, upper=0)
    assert counts.candidates_by_age_band["50-64"].value == 20


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"candidates_by_sex": {"other": 1}}, r"unknown key\(s\) \['other'\] in candidates_by_sex"),
        (
            {"removed_by_reason": {"patient_123": 1}},
            r"unknown key\(s\) \['patient_123'\] in removed_by_reason",
        ),
    ],
)
def test_keys_outside_the_schema_are_refused(change, message):
    exact = simulated_counts("A81001", seed=1).model_copy(update=change)
    with pytest.raises(ValueError, match=message):
        summarise(exact)


def test_unknown_attrition_step_is_refused():
    exact = simulated_counts("A81001", seed=1)
    steps = [
        *exact.attrition[:-1],
        AttritionStep(key="after_1943-01-02", label="x", count=1),
        exact.attrition[-1],
    ]
    with pytest.raises(ValueError, match="unknown attrition step 'after_1943-01-02'"):
        summarise(exact.model_copy(update={"attrition": steps}))


def test_policy_none_is_exact_and_recorded():
    exact = simulated_counts("A81001", seed=4)
    summary = summarise(exact, DisclosurePolicy(mode="none"))
    truth, _ = exact_flat(exact)
    assert {n: c.value for n, c in summary.counts.flat().items()} == truth
    assert summary.policy.mode == "none"


# ---- read_summary: each failure names the file and the field
# ----------------------------------------------------


def _written(tmp_path, mutate):
    data = json.loads(canonical_json(summarise(simulated_counts("A81001", seed=5))))
    mutate(data)
    path = tmp_path / "summary.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_read_missing_file(tmp_path):
    with pytest.raises(InputError) as err:
        read_summary(tmp_path / "nope.json")
    assert str(err.value) == f"{tmp_path / 'nope.json'}: summary file does not exist"


def test_read_not_json(tmp_path):
    path = tmp_path / "summary.json"
    path.write_text("{\n  oops", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_summary(path)
    assert (
        str(err.value)
        == f"{path}: not valid JSON (line 2, column 3): Expecting property name enclosed in double quotes"
    )


def test_read_wrong_kind(tmp_path):
    path = _written(tmp_path, lambda d: d.update(kind="something_else"))
    with pytest.raises(InputError) as err:
        read_summary(path)
    assert str(err.value) == (
        f"{path}: not a pain-finder count summary (field 'kind' should be 'pain_finder.count_summary')"
    )


def test_read_newer_schema(tmp_path):
    path = _written(tmp_path, lambda d: d.update(schema_version=2))
    with pytest.raises(InputError) as err:
        read_summary(path)
    assert str(err.value) == (
        f"{path}: written with summary schema_version 2, newer than this pain-finder reads (1); upgrade "
        "pain-finder"
    )


def test_read_bad_field_names_it(tmp_path):
    path = _written(tmp_path, lambda d: d["counts"]["candidates_by_sex"]["female"].update(lower=-1))
    with pytest.raises(InputError) as err:
        read_summary(path)
    assert str(err.value) == (
        f"{path}: field counts.candidates_by_sex.female.lower: Input should be greater than or equal to 0"
    )


def test_read_refuses_extra_fields(tmp_path):
    path = _written(tmp_path, lambda d: d.update(patient_ids=["123"]))
    with pytest.raises(InputError) as err:
        read_summary(path)
    assert str(err.value) == f"{path}: field patient_ids: Extra inputs are not permitted"


# ---- nothing patient-level: on generated data, the JSON holds only schema keys and count values
# ----------------

ALLOWED_TOP = {
    "as_of",
    "code_lists",
    "counts",
    "definition",
    "description",
    "fingerprint",
    "kind",
    "policy",
    "practice_id",
    "schema_version",
    "software_version",
}
CELL_KEYS = {"value", "suppressed", "secondary", "rounded", "lower", "upper"}
SECTION_KEYS = {
    "removed_by_reason": set(EXCLUSION_REASONS) | set(REVIEW_FLAGS),
    "flagged_by_flag": set(REVIEW_FLAGS),
    "candidates_by_age_band": {b for b, _, _ in AGE_BANDS},
    "candidates_by_sex": set(SEXES),
    "candidates_by_signal": set(SIGNAL_COMBINATIONS),
}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _check_cell(cell: dict, where: str) -> None:
    assert set(cell) == CELL_KEYS, where
    for key in ("value", "lower", "upper"):
        assert cell[key] is None or (isinstance(cell[key], int) and not isinstance(cell[key], bool)), where
    for key in ("suppressed", "secondary", "rounded"):
        assert isinstance(cell[key], bool), where


@st.composite
def exact_counts(draw):
    """Random but consistent counts, with patient-like strings offered wherever the model would take them."""
    n = draw(st.integers(0, 3000))
    steps = [n]
    for _ in range(3 + len(EXCLUSION_REASONS)):
        steps.append(draw(st.integers(0, steps[-1])))
    keys = ["registered", "working_age", "chronic_pain", "signal", *(f"after_{r}" for r in EXCLUSION_REASONS)]
    cand = steps[-1]

    def split(names):
        cuts = sorted(draw(st.lists(st.integers(0, cand), min_size=len(names) - 1, max_size=len(names) - 1)))
        edges = [0, *cuts, cand]
        return {name: edges[i + 1] - edges[i] for i, name in enumerate(names)}

    return ExactCounts(
        practice_id=draw(st.from_regex(r"[A-Z][0-9]{5}", fullmatch=True)),
        attrition=[
            *(
                AttritionStep(key=k, label=k.replace("_", " "), count=c)
                for k, c in zip(keys, steps, strict=True)
            ),
            AttritionStep(key="candidates", label="Candidates", count=cand),
        ],
        removed_by_reason={r: draw(st.integers(0, 50)) for r in EXCLUSION_REASONS},
        flagged_by_flag={f: draw(st.integers(0, cand)) for f in REVIEW_FLAGS},
        candidates_by_age_band=split([b for b, _, _ in AGE_BANDS]),
        candidates_by_sex=split(list(SEXES)),
        candidates_by_signal=split(list(SIGNAL_COMBINATIONS)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exact=exact_counts())
def test_summary_json_holds_nothing_outside_the_schema(exact):
    data = json.loads(canonical_json(summarise(exact)))
    assert set(data) == ALLOWED_TOP
    assert data["practice_id"] == exact.practice_id
    assert data["definition"] == DEFINITION and data["description"] == DESCRIPTION
    # the only date anywhere is the as-of date
    dates = set(DATE.findall(json.dumps(data)))
    assert dates <= {AS_OF.isoformat()}, dates
    counts = data["counts"]
    assert set(counts) == {"attrition", *SECTION_KEYS}
    for step in counts["attrition"]:
        assert set(step) == CELL_KEYS | {"key", "label"}
        _check_cell({k: v for k, v in step.items() if k in CELL_KEYS}, step["key"])
    for section, allowed in SECTION_KEYS.items():
        assert set(counts[section]) <= allowed, section
        for key, cell in counts[section].items():
            _check_cell(cell, f"{section}.{key}")
