"""Code lists: the clinical content of a search, kept as data with provenance.

Layout: one folder per concept under `code_lists/`, one CSV per code system, each with a TOML sidecar:

    code_lists/chronic_pain_condition/readv2.csv     code,term[,include_descendants]
    code_lists/chronic_pain_condition/readv2.toml    provenance (CodeListMeta below)
    code_lists/chronic_pain_condition/readv2.left_out.csv   (optional) codes of a consulted published list
                                                     that this list deliberately leaves out:
                                                     source,code,term,reason

Medication lists (dm+d, BNF, Read v2 drug codes) may add dose columns used for the oral morphine equivalent:
`ingredient`, `form`, `strength_mg` (mg of ingredient per tablet/capsule/ml/suppository),
`patch_mcg_per_hour`, `patch_hours` (wear time of one patch) and `ome_factor` (mg oral morphine per mg of
ingredient, from the OpenPrescribing table). Blank means unknown. Fit-note lists may add `fitness`
(`not_fit` or `may_be_fit`: what the code itself records; blank when it does not say).

Hierarchies: Read v2 and BNF are prefix-based. A row with include_descendants=true matches every code that
starts with the row's code (for Read v2, with trailing dots removed: `N14..` matches `N142.`, `N1420`, ...).
CTV3 and SNOMED CT codes are matched exactly: their lists must spell out every code (SNOMED hierarchies need a
terminology server this tool does not ship).

Each code system has its own checked format (`CODE_FORMATS`), so a CTV3 list cannot be matched against a
SNOMED column by mistake and a code mangled by a spreadsheet (`1.23457E+17`) is refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pain_finder.csv_rows import numbered_rows
from pain_finder.errors import InputError
from pain_finder.resources import code_lists_dir


class CodeSystem(StrEnum):
    readv2 = "readv2"
    ctv3 = "ctv3"
    snomedct = "snomedct"
    dmd = "dmd"
    bnf = "bnf"


class Domain(StrEnum):
    clinical = "clinical"  # matched against clinical_events
    medication = "medication"  # matched against medication_issues


CODE_FORMATS: dict[CodeSystem, re.Pattern[str]] = {
    CodeSystem.readv2: re.compile(r"^[A-Za-z0-9.]{5}$"),
    CodeSystem.ctv3: re.compile(r"^[A-Za-z0-9.]{5}$"),
    CodeSystem.snomedct: re.compile(r"^[1-9][0-9]{5,17}$"),
    CodeSystem.dmd: re.compile(r"^[1-9][0-9]{5,17}$"),
    CodeSystem.bnf: re.compile(r"^[0-9]{2}[0-9A-Z]{0,13}$"),
}
PREFIX_SYSTEMS = frozenset({CodeSystem.readv2, CodeSystem.bnf})
DOSE_COLUMNS = ("ingredient", "form", "strength_mg", "patch_mcg_per_hour", "patch_hours", "ome_factor")
# fit_note lists may say what a code records about fitness for work; blank when the code does not say.
FITNESS_COLUMN = "fitness"
FITNESS_VALUES = frozenset({"not_fit", "may_be_fit"})


class ReviewStatus(StrEnum):
    draft = "draft"  # authored, not yet checked by a clinician
    clinically_reviewed = "clinically_reviewed"  # checked by a named clinician
    approved = "approved"  # signed off for use by the study


class SourceConsulted(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="the published list, cited by name (and OpenCodelists id where it has one)")
    reference_file: str | None = Field(
        default=None, description="path of the copy under shared/reference/codelists/, for the coverage test"
    )
    reference_code_system: CodeSystem | None = Field(
        default=None, description="code system of reference_file when it is not this list's own"
    )
    reference_code_column: str | None = Field(
        default=None,
        description="column holding the codes in reference_file (default: 'code', else 'id', else the "
        "first column of a header-less tab-separated file)",
    )
    how_used: str = Field(description="what was taken from it, and what was not")


class CodeListMeta(BaseModel):
    """The provenance sidecar (`<system>.toml`) of one code list."""

    model_config = ConfigDict(extra="forbid")

    concept: str
    code_system: CodeSystem
    domain: Domain
    title: str
    captures: str = Field(description="what the list captures, and what it deliberately does not")
    sources: list[SourceConsulted] = Field(min_length=1)
    version_date: dt.date
    status: ReviewStatus
    reviewer: str | None = None
    authors: list[str] = Field(default_factory=lambda: ["pain_finder contributors"])
    notes: str | None = None

    @field_validator("concept")
    @classmethod
    def _snake(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", v):
            raise ValueError("concept must be snake_case")
        return v


@dataclass(frozen=True)
class CodeEntry:
    code: str
    term: str
    include_descendants: bool = False
    dose: tuple[tuple[str, str], ...] = ()  # (column, value) for the dose columns present and non-blank
    fitness: str | None = None  # fit-note lists: not_fit / may_be_fit when the code says so


@dataclass(frozen=True)
class CodeList:
    meta: CodeListMeta
    entries: tuple[CodeEntry, ...]
    csv_path: Path
    sha256: str  # hash of the CSV and sidecar bytes: part of the search definition's fingerprint

    @property
    def name(self) -> str:
        return f"{self.meta.concept}/{self.meta.code_system.value}"

    @cached_property
    def _index(self) -> tuple[dict[str, CodeEntry], tuple[tuple[str, CodeEntry], ...]]:
        """Exact codes in a dict and include_descendants prefixes in list order: built once per list."""
        exact: dict[str, CodeEntry] = {}
        for e in self.entries:
            exact.setdefault(e.code, e)
        system = self.meta.code_system
        prefixes = tuple((prefix_of(e.code, system), e) for e in self.entries if e.include_descendants)
        return exact, prefixes

    def matches(self, code: str) -> CodeEntry | None:
        """The entry matching `code` (exactly, or by prefix where include_descendants), else None."""
        exact, prefixes = self._index
        hit = exact.get(code)
        if hit is not None:
            return hit
        for prefix, e in prefixes:
            if code.startswith(prefix):
                return e
        return None


def prefix_of(code: str, system: CodeSystem) -> str:
    """The prefix a hierarchical code stands for: Read v2 `N14..` -> `N14`; BNF codes are their own prefix."""
    return code.rstrip(".") if system == CodeSystem.readv2 else code


def load_code_list(csv_path: Path) -> CodeList:
    """Load one list and its sidecar, checking every code against its system's format and every value of the
    optional columns. Messages name the list as `concept/system.csv` (every concept has a `snomedct.csv`)."""
    meta_path = csv_path.with_suffix(".toml")
    where, meta_where = (f"{csv_path.parent.name}/{p.name}" for p in (csv_path, meta_path))
    if not meta_path.is_file():
        raise InputError("provenance sidecar is missing", file=meta_where)
    meta_bytes = meta_path.read_bytes()
    try:
        meta = CodeListMeta.model_validate(tomllib.loads(meta_bytes.decode("utf-8")))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML: {exc}", file=meta_where) from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(
            first["msg"], file=meta_where, column=".".join(str(p) for p in first["loc"])
        ) from exc
    if meta.code_system.value != csv_path.stem:
        raise InputError(
            f"sidecar says code_system={meta.code_system.value} but the file is named {csv_path.name}",
            file=meta_where,
        )
    if meta.concept != csv_path.parent.name:
        raise InputError(
            f"sidecar says concept={meta.concept} but the folder is {csv_path.parent.name}", file=meta_where
        )
    csv_bytes = csv_path.read_bytes()
    entries = _read_entries(csv_bytes, meta, where)
    if not entries:
        raise InputError("code list is empty", file=where)
    digest = hashlib.sha256(csv_bytes + b"\0" + meta_bytes).hexdigest()
    return CodeList(meta=meta, entries=tuple(entries), csv_path=csv_path, sha256=digest)


_TRUE, _FALSE = frozenset({"true", "yes", "y", "1"}), frozenset({"false", "no", "n", "0", ""})
_FLAG_VALUES = _TRUE | _FALSE


def _read_entries(csv_bytes: bytes, meta: CodeListMeta, where: str) -> list[CodeEntry]:
    """The rows of a list's CSV, each value checked: errors name the first bad row and column."""
    system = meta.code_system.value
    pattern = CODE_FORMATS[meta.code_system]
    prefixes_allowed = meta.code_system in PREFIX_SYSTEMS
    entries: list[CodeEntry] = []
    seen: set[str] = set()
    rows = numbered_rows(csv_bytes.decode("utf-8-sig"), where)
    header = [h.strip() for h in next(rows, (1, []))[1]]
    if not {"code", "term"} <= set(header):
        raise InputError("header must contain 'code' and 'term'", file=where, row=1)
    # Column positions, looked up once: lists have tens of thousands of rows.
    i_code, i_term = header.index("code"), header.index("term")
    i_descend = header.index("include_descendants") if "include_descendants" in header else None
    dose_at = [(c, header.index(c)) for c in DOSE_COLUMNS if c in header]
    i_fitness = header.index(FITNESS_COLUMN) if FITNESS_COLUMN in header else None
    width = len(header)
    for row_no, row in rows:

        def bad(message: str, column: str, row_no: int = row_no) -> InputError:
            return InputError(message, file=where, row=row_no, column=column)

        if len(row) > width:
            raise bad(f"the row has {len(row)} fields but the header has {width}", header[-1])
        row = row + [""] * (width - len(row))
        code = row[i_code].strip()
        if not pattern.match(code):
            raise bad(f"'{code}' is not a valid {system} code", "code")
        if code in seen:
            raise bad(f"code '{code}' appears twice", "code")
        seen.add(code)
        descend_text = row[i_descend].strip().lower() if i_descend is not None else ""
        if descend_text not in _FLAG_VALUES:
            raise bad(f"'{row[i_descend].strip()}' is not true or false", "include_descendants")
        descend = descend_text in _TRUE
        if descend and not prefixes_allowed:
            raise bad(
                f"include_descendants is only supported for Read v2 and BNF, not {system}",
                "include_descendants",
            )
        dose = tuple((c, v) for c, i in dose_at if (v := row[i].strip()))
        for column, value in dose:
            if column in _NUMBER_DOSE and not _non_negative_number(value):
                raise bad(f"'{value}' is not a number (0 or more)", column)
        fitness = (row[i_fitness].strip() or None) if i_fitness is not None else None
        if fitness is not None and fitness not in FITNESS_VALUES:
            raise bad(
                f"'{fitness}' is not a fitness: use {' or '.join(sorted(FITNESS_VALUES))}, or leave it "
                "blank when the code does not say",
                FITNESS_COLUMN,
            )
        entries.append(CodeEntry(code, row[i_term].strip(), descend, dose, fitness))
    return entries


def _non_negative_number(value: str) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return math.isfinite(number) and number >= 0


@cache
def _load_all(root: Path) -> dict[str, CodeList]:
    lists: dict[str, CodeList] = {}
    for csv_path in sorted(root.glob("*/*.csv")):
        if csv_path.name.endswith(".left_out.csv"):
            continue
        cl = load_code_list(csv_path)
        lists[cl.name] = cl
    return lists


def load_all(root: Path | None = None) -> dict[str, CodeList]:
    """Every code list under `root` (default: the packaged code_lists/), keyed `concept/system`."""
    return _load_all(Path(root) if root else code_lists_dir())


def concepts(root: Path | None = None) -> dict[str, list[CodeList]]:
    """Code lists grouped by concept."""
    grouped: dict[str, list[CodeList]] = {}
    for cl in load_all(root).values():
        grouped.setdefault(cl.meta.concept, []).append(cl)
    return grouped


# The DuckDB table `codelist` (sql/intermediate reads it): columns and types. code_table_columns gives values.
CODE_TABLE_SCHEMA: dict[str, str] = {
    "concept": "VARCHAR",
    "domain": "VARCHAR",
    "code_system": "VARCHAR",
    "code": "VARCHAR",
    "match_prefix": "VARCHAR",  # the prefix an include_descendants row matches by; NULL for an exact code
    "term": "VARCHAR",
    "ingredient": "VARCHAR",
    "form": "VARCHAR",
    "strength_mg": "DOUBLE",
    "patch_mcg_per_hour": "DOUBLE",
    "patch_hours": "DOUBLE",
    "ome_factor": "DOUBLE",
    "fitness": "VARCHAR",  # fit-note codes: not_fit / may_be_fit when the code says so
}
_TEXT_DOSE = ("ingredient", "form")
_NUMBER_DOSE = ("strength_mg", "patch_mcg_per_hour", "patch_hours", "ome_factor")


def code_table_columns(lists: dict[str, CodeList]) -> dict[str, list[object]]:
    """One value per code in each column of CODE_TABLE_SCHEMA: the table `codelist` the search loads."""
    out: dict[str, list[object]] = {column: [] for column in CODE_TABLE_SCHEMA}
    for cl in lists.values():
        concept, domain, system = cl.meta.concept, cl.meta.domain.value, cl.meta.code_system
        for e in cl.entries:
            dose = dict(e.dose)
            out["concept"].append(concept)
            out["domain"].append(domain)
            out["code_system"].append(system.value)
            out["code"].append(e.code)
            out["match_prefix"].append(prefix_of(e.code, system) if e.include_descendants else None)
            out["term"].append(e.term)
            for column in _TEXT_DOSE:
                out[column].append(dose.get(column))
            for column in _NUMBER_DOSE:
                out[column].append(float(dose[column]) if column in dose else None)
            out["fitness"].append(e.fitness)
    return out


def known_names(lists: dict[str, CodeList]) -> list[str]:
    """Every name `codes show` accepts: each concept, and each `concept/system`."""
    return sorted({cl.meta.concept for cl in lists.values()} | set(lists))


def find_lists(name: str, lists: dict[str, CodeList]) -> list[CodeList]:
    """The lists a user means by `name`: one `concept/system`, or every system of a `concept`.

    An unknown name is an InputError that lists the known names, so the user can pick one.
    """
    name = name.strip().strip("/")
    if name in lists:
        return [lists[name]]
    found = [cl for key, cl in sorted(lists.items()) if cl.meta.concept == name]
    if found:
        return found
    raise InputError(f"no code list named '{name}'. Known names: {', '.join(known_names(lists))}")


@dataclass(frozen=True)
class SearchHit:
    """One listed code that matches a `codes search` text."""

    list_name: str
    entry: CodeEntry
    matched_on: str  # "code", "term", or "under <prefix>" (text is a code under an include_descendants row)


def search(text: str, lists: dict[str, CodeList]) -> list[SearchHit]:
    """Listed codes whose code starts with `text` (case-sensitive, as Read codes are) or whose term contains
    it (case-insensitive); and, when `text` is itself a code matched through an include_descendants row, that
    row.
    Sorted by list name, then code."""
    needle = text.strip()
    if not needle:
        raise InputError(
            "the search text is empty: give part of a code or a term, e.g. 'fibromyalgia' or 'N248'"
        )
    low = needle.lower()
    hits: list[SearchHit] = []
    for name in sorted(lists):
        cl = lists[name]
        direct = False
        for e in cl.entries:
            if e.code.startswith(needle):
                hits.append(SearchHit(name, e, "code"))
                direct = True
            elif low in e.term.lower():
                hits.append(SearchHit(name, e, "term"))
        if not direct:
            via = cl.matches(needle)
            if via is not None and via.include_descendants:
                hits.append(SearchHit(name, via, f"under {via.code}"))
    return hits
