"""The count summary (`summary.json`): counts only, no identifiers, every cell through disclosure control.

    build_summary(exact: ExactCounts, *, as_of, fingerprint, definition, description, policy,
    software_version,
                  code_lists=None) -> CountSummary
    write_summary(summary, path)     atomic, canonical JSON (sorted keys, 2-space indent, trailing newline)
    read_summary(path) -> CountSummary   InputError naming the file and the field when invalid

The schema is versioned (`schema_version`, now 1) and documented in docs/counts.md. A summary holds the
practice ID, the as-of date, the search definition (its fingerprint, its settings, the code lists' hashes and
a readable description), the disclosure policy, and under `counts` one `Cell` per count. Every key is fixed by
the schema: the only free text is the practice ID, the description and the definition's settings, none of them
patient-level.

Cells are also handled *flat* (one name per count: `registered`, `after_cancer`, `removed_cancer`,
`flagged_pregnancy`, `age_18-29`, `sex_female`, `signal_opioid_only`, ...), which is how the merge, the CSV
and the relations for secondary suppression name them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from pain_finder.atomic import write_text
from pain_finder.counts import (
    AGE_BANDS,
    ATTRITION_STEPS,
    EXCLUSION_REASONS,
    REVIEW_FLAGS,
    SEXES,
    SIGNAL_COMBINATIONS,
    ExactCounts,
)
from pain_finder.disclosure import AtMost, Cell, DisclosurePolicy, Sum, protect
from pain_finder.errors import InputError

SUMMARY_SCHEMA_VERSION = 1
SUMMARY_KIND = "pain_finder.count_summary"

BASE_STEPS: tuple[str, ...] = tuple(key for key, _ in ATTRITION_STEPS if key != "candidates")
FINAL_STEP = "candidates"
REMOVAL_KEYS: tuple[str, ...] = (*EXCLUSION_REASONS, *REVIEW_FLAGS)  # promoted flags may be removal reasons

# Breakdown sections: (section in `counts`, prefix of the flat name, keys in order).
SECTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("removed_by_reason", "removed_", REMOVAL_KEYS),
    ("flagged_by_flag", "flagged_", REVIEW_FLAGS),
    ("candidates_by_age_band", "age_", tuple(band for band, _, _ in AGE_BANDS)),
    ("candidates_by_sex", "sex_", SEXES),
    ("candidates_by_signal", "signal_", SIGNAL_COMBINATIONS),
)
_SECTION_KEYS = {section: keys for section, _, keys in SECTIONS}
PARTITIONS = (
    "candidates_by_age_band",
    "candidates_by_sex",
    "candidates_by_signal",
)  # each sums to candidates
SECTION_TITLES: dict[str, str] = {
    "attrition": "Attrition",
    "removed_by_reason": "Removed, by exclusion reason",
    "flagged_by_flag": "Candidates with a review flag",
    "candidates_by_age_band": "Candidates by age band",
    "candidates_by_sex": "Candidates by sex",
    "candidates_by_signal": "Candidates by signal combination",
}
_SIGNAL_TEXT = {
    "opioid_only": "opioid only",
    "gabapentinoid_only": "gabapentinoid only",
    "fit_note_only": "fit note only",
    "opioid_and_gabapentinoid": "opioid and gabapentinoid",
    "opioid_and_fit_note": "opioid and fit note",
    "gabapentinoid_and_fit_note": "gabapentinoid and fit note",
    "all_three": "all three",
}


def _valid_step(key: str) -> bool:
    return key in BASE_STEPS or key == FINAL_STEP or (key.startswith("after_") and key[6:] in REMOVAL_KEYS)


class AttritionCell(Cell):
    """One attrition step: its key, its label and its published count."""

    key: str
    label: str

    @field_validator("key")
    @classmethod
    def _known_key(cls, key: str) -> str:
        if not _valid_step(key):
            raise ValueError(f"unknown attrition step {key!r}")
        return key


class SummaryCounts(BaseModel):
    """Every published count of one summary (or of a network total), each a disclosure-controlled `Cell`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attrition: list[AttritionCell] = Field(
        description="registered -> working_age -> chronic_pain -> signal -> after_<reason>... -> candidates"
    )
    removed_by_reason: dict[str, Cell] = Field(
        description="people who met criteria 1-3 but were removed, by exclusion reason (a person with two "
        "reasons counts under both)"
    )
    flagged_by_flag: dict[str, Cell] = Field(description="candidates carrying each review flag")
    candidates_by_age_band: dict[str, Cell]
    candidates_by_sex: dict[str, Cell]
    candidates_by_signal: dict[str, Cell]

    @field_validator(*(section for section, _, _ in SECTIONS))
    @classmethod
    def _canonical_order(cls, value: dict[str, Cell], info: ValidationInfo) -> dict[str, Cell]:
        keys = _SECTION_KEYS[info.field_name]
        unknown = sorted(set(value) - set(keys))
        if unknown:
            raise ValueError(f"unknown key(s) {unknown}; expected some of {list(keys)}")
        return {k: value[k] for k in keys if k in value}

    @field_validator("attrition")
    @classmethod
    def _steps(cls, steps: list[AttritionCell]) -> list[AttritionCell]:
        keys = [s.key for s in steps]
        if len(set(keys)) != len(keys):
            raise ValueError("an attrition step appears twice")
        if FINAL_STEP not in keys:
            raise ValueError("the attrition has no 'candidates' step")
        return steps

    def flat(self) -> dict[str, Cell]:
        """Every cell by its flat name, in schema order (attrition first)."""
        cells: dict[str, Cell] = {step.key: _plain(step) for step in self.attrition}
        for section, prefix, _ in SECTIONS:
            for key, cell in getattr(self, section).items():
                cells[prefix + key] = cell
        return cells


class CountSummary(BaseModel):
    """`summary.json`: one practice's disclosure-controlled counts for one search definition (schema version
    1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = Field(SUMMARY_SCHEMA_VERSION, description="version of this file format")
    kind: Literal["pain_finder.count_summary"] = SUMMARY_KIND
    practice_id: str = Field(min_length=1, max_length=100, description="the practice code")
    as_of: dt.date = Field(description="the date the search was run as of")
    fingerprint: str = Field(min_length=1, description="hash of the search definition and the code lists")
    definition: dict[str, Any] = Field(description="the search definition's settings")
    code_lists: dict[str, str] = Field(default_factory=dict, description="code list (concept/system) -> hash")
    description: str = Field(description="the search definition in plain English")
    policy: DisclosurePolicy = Field(description="the disclosure control applied to every cell")
    software_version: str
    counts: SummaryCounts


def _plain(cell: Cell) -> Cell:
    return Cell(**{name: getattr(cell, name) for name in Cell.model_fields})


def cell_label(name: str, attrition_labels: Mapping[str, str] | None = None) -> str:
    """A readable label for a flat cell name."""
    if attrition_labels and name in attrition_labels:
        return attrition_labels[name]
    if name in dict(ATTRITION_STEPS):
        return dict(ATTRITION_STEPS)[name]
    if name.startswith("after_"):
        return f"After excluding {name[6:].replace('_', ' ')}"
    for section, prefix, _ in SECTIONS:
        if name.startswith(prefix):
            key = name[len(prefix) :]
            if section == "removed_by_reason":
                return f"Removed: {key.replace('_', ' ')}"
            if section == "flagged_by_flag":
                return f"Flagged: {key.replace('_', ' ')}"
            if section == "candidates_by_age_band":
                return f"Aged {key}"
            if section == "candidates_by_sex":
                return key.capitalize()
            return f"Signal: {_SIGNAL_TEXT.get(key, key)}"
    return name


def exact_flat(exact: ExactCounts) -> tuple[dict[str, int], dict[str, str]]:
    """The exact counts by flat name (every schema key present, missing ones 0) and the attrition labels.

    Raises ValueError (a programming error in the caller) for keys outside the schema.
    """
    values: dict[str, int] = {}
    labels: dict[str, str] = {}
    for step in exact.attrition:
        if not _valid_step(step.key):
            raise ValueError(f"unknown attrition step {step.key!r}")
        if step.key in values:
            raise ValueError(f"attrition step {step.key!r} appears twice")
        values[step.key] = step.count
        labels[step.key] = step.label
    if FINAL_STEP not in values:
        raise ValueError("the attrition has no 'candidates' step")
    promoted = [k[6:] for k in values if k.startswith("after_") and k[6:] in REVIEW_FLAGS]
    for section, prefix, keys in SECTIONS:
        given: dict[str, int] = getattr(exact, section)
        unknown = sorted(set(given) - set(keys))
        if unknown:
            raise ValueError(f"unknown key(s) {unknown} in {section}")
        for key in keys:
            if (
                section == "removed_by_reason"
                and key in REVIEW_FLAGS
                and key not in promoted
                and key not in given
            ):
                continue  # a flag that was not promoted removes nobody: leave it out
            count = given.get(key, 0)
            if count < 0:
                raise ValueError(f"negative count in {section}[{key!r}]")
            values[prefix + key] = count
    return values, labels


def relations(values: Mapping[str, int]) -> tuple[list[Sum], list[AtMost]]:
    """The additive relations that hold between a summary's exact counts (used by secondary suppression).

    - each attrition step = the next step + the people removed at that step (not published);
    - candidates = the sum of each partition (age band, sex, signal combination), plus a remainder (not
      published) when the partition does not cover every candidate;
    - candidates with a review flag <= candidates;
    - people removed at step after_<reason> <= removed_by_reason[reason].
    Only relations true of `values` are returned, so an attacker who knows more than these gains nothing.
    """
    sums: list[Sum] = []
    at_most: list[AtMost] = []
    steps = [k for k in values if _valid_step(k)]
    for previous, step in zip(steps, steps[1:], strict=False):
        if values[previous] >= values[step]:
            sums.append(Sum(previous, (step, f"~removed_at_{step}")))
            reason = step[6:] if step.startswith("after_") else None
            removed = f"removed_{reason}" if reason else None
            if removed in values and values[previous] - values[step] <= values[removed]:
                at_most.append(AtMost(f"~removed_at_{step}", removed))
    candidates = values.get(FINAL_STEP, 0)
    for section, prefix, keys in SECTIONS:
        names = tuple(prefix + k for k in keys if prefix + k in values)
        if section in PARTITIONS:
            total = sum(values[n] for n in names)
            if total == candidates:
                sums.append(Sum(FINAL_STEP, names))
            elif total < candidates:
                sums.append(Sum(FINAL_STEP, (*names, f"~outside_{section}")))
        elif section == "flagged_by_flag":
            at_most.extend(AtMost(n, FINAL_STEP) for n in names if values[n] <= candidates)
    return sums, at_most


def counts_from_flat(cells: Mapping[str, Cell], attrition_labels: Mapping[str, str]) -> SummaryCounts:
    """Arrange flat cells back into the `counts` object."""
    attrition = [
        AttritionCell(
            key=name, label=attrition_labels.get(name) or cell_label(name), **cells[name].model_dump()
        )
        for name in cells
        if _valid_step(name)
    ]
    sections: dict[str, dict[str, Cell]] = {}
    for section, prefix, keys in SECTIONS:
        sections[section] = {k: cells[prefix + k] for k in keys if prefix + k in cells}
    return SummaryCounts(attrition=attrition, **sections)


def protect_flat(values: Mapping[str, int], policy: DisclosurePolicy) -> dict[str, Cell]:
    """Disclosure control of a whole summary's exact counts, with secondary suppression over its relations."""
    sums, at_most = relations(values)
    return protect(values, policy, sums, at_most)


def protect_network(
    totals: Mapping[str, int],
    practices: Mapping[str, tuple[Mapping[str, int], Mapping[str, Cell]]],
    policy: DisclosurePolicy,
) -> dict[str, Cell]:
    """Disclosure control of exact network totals published beside each practice's own protected cells.

    `practices` maps each practice to (its exact counts, its published cells). Besides the totals' own
    relations, each total = the sum of the practices' cells, and each practice's cells keep their relations,
    so a total is also suppressed when it would let a reader pin one of a practice's suppressed cells.
    """
    sums, at_most = relations(totals)
    published: dict[str, Cell] = {}
    audit: list[Sum] = []
    for practice, (exact, cells) in practices.items():

        def name(cell: str, practice: str = practice) -> str:
            return f"{practice}\x00{cell}"

        published.update({name(n): c for n, c in cells.items() if n in totals})
        own_sums, own_at_most = relations({n: v for n, v in exact.items() if n in totals})
        audit += [Sum(name(r.total), tuple(name(p) for p in r.parts)) for r in own_sums]
        at_most += [AtMost(name(r.small), name(r.big)) for r in own_at_most]
    for n in totals:
        audit.append(Sum(n, tuple(f"{practice}\x00{n}" for practice in practices)))
    return protect(totals, policy, sums, at_most, published=published, audit_sums=audit)


def build_summary(
    exact: ExactCounts,
    *,
    as_of: dt.date,
    fingerprint: str,
    definition: dict,
    description: str,
    policy: DisclosurePolicy,
    software_version: str,
    code_lists: Mapping[str, str] | None = None,
) -> CountSummary:
    """Turn one practice's exact counts into the summary that may be shared: every cell through
    `disclosure`."""
    values, labels = exact_flat(exact)
    cells = protect_flat(values, policy)
    return CountSummary(
        practice_id=exact.practice_id,
        as_of=as_of,
        fingerprint=fingerprint,
        definition=definition,
        code_lists=dict(sorted((code_lists or {}).items())),
        description=description,
        policy=policy,
        software_version=software_version,
        counts=counts_from_flat(cells, labels),
    )


def canonical_json(model: BaseModel) -> str:
    """Sorted keys, 2-space indent, trailing newline: byte-identical for equal models."""
    return json.dumps(model.model_dump(mode="json"), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_summary(summary: CountSummary, path: Path) -> None:
    """Write `summary.json` atomically, as canonical JSON."""
    write_text(Path(path), canonical_json(summary))


def _field(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(top level)"


def read_summary(path: Path) -> CountSummary:
    """Read and validate a `summary.json`; InputError naming the file and the field when it is not valid."""
    path = Path(path)
    if not path.is_file():
        raise InputError("summary file does not exist", file=str(path))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError("not a text file (expected JSON)", file=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(
            f"not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}", file=str(path)
        ) from exc
    if not isinstance(data, dict) or data.get("kind") != SUMMARY_KIND:
        raise InputError(
            f"not a pain-finder count summary (field 'kind' should be {SUMMARY_KIND!r})", file=str(path)
        )
    version = data.get("schema_version")
    if isinstance(version, int) and version > SUMMARY_SCHEMA_VERSION:
        raise InputError(
            f"written with summary schema_version {version}, newer than this pain-finder reads "
            f"({SUMMARY_SCHEMA_VERSION}); upgrade pain-finder",
            file=str(path),
        )
    try:
        return CountSummary.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = len(exc.errors()) - 1
        extra = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise InputError(f"field {_field(first['loc'])}: {first['msg']}{extra}", file=str(path)) from exc
