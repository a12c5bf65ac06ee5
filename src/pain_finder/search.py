"""The search pipeline: validate the extract → load the code lists → SQL steps in order → rank → outputs.

`run_search` is the one entry point (the CLI, the batch and the benchmark call it). It never prints: it
reports each step through the optional `progress` callback. The heavy lifting is DuckDB SQL in `sql/` (see
`STEPS`); polars shapes the much smaller candidate frames (ranking.py, outputs/).

Which modules touch patient rows: this one, ranking.py, outputs/ and the SQL steps. Nothing here logs or
raises with a patient identifier: warnings are counts per table, errors name files and columns.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from pydantic import BaseModel, ConfigDict

from pain_finder import __version__, codelists, criteria, declined, frames, ranking, sql_files
from pain_finder.config import SearchConfig, fingerprint
from pain_finder.counts import (
    AGE_BANDS,
    ATTRITION_STEPS,
    EXCLUSION_REASONS,
    REVIEW_FLAGS,
    SEXES,
    SIGNAL_COMBINATIONS,
    AttritionStep,
    ExactCounts,
)
from pain_finder.extract import reader
from pain_finder.extract.validate import check_extract_or_raise
from pain_finder.summary import CountSummary, build_summary

# The SQL steps, in the order they run. Each is materialised as a temporary table of its own name.
STAGING = (
    "stg_patients",
    "stg_registrations",
    "stg_clinical_events",
    "stg_medication_issues",
    "stg_fit_notes",
)
INTERMEDIATE = (
    "int_clinical_codes",
    "int_clinical_matches",
    "int_medication_codes",
    "int_medication_matches",
    "int_fit_notes",
    "int_opioid_doses",
)
COHORT = ("coh_population", "coh_pain", "coh_signal", "coh_reasons", "coh_cohort", "coh_features")
STEPS: tuple[str, ...] = STAGING + INTERMEDIATE + COHORT
# The two large staging tables are only needed until the code lists have been matched.
DROPPED_AFTER_MATCHING: tuple[str, ...] = ("stg_clinical_events", "stg_medication_issues")

# Exclusion reasons that are criterion 1 (the population) rather than clinical exclusions.
POPULATION_REASONS: tuple[str, ...] = ("age", "deceased", "not_registered")

# Concepts the search uses; a missing one is reported as a warning (the search still runs).
REQUIRED_CONCEPTS: tuple[str, ...] = (
    "chronic_pain_condition",
    "pain_condition",
    "fit_note",
    "opioid",
    "gabapentinoid",
    "opioid_substitution",
    "research_dissent",
    "palliative_care",
    "cancer",
    "dementia",
    "opioid_dependence",
    "type1_opt_out",
    "type1_opt_out_withdrawn",
    "severe_mental_illness",
    "learning_disability",
    "pregnancy",
    "substance_misuse",
    "care_home",
    "bereavement",
)


class SearchResult(BaseModel):
    """What one search found and wrote (no patient identifiers)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    practice_id: str
    as_of: dt.date
    as_of_source: str
    fingerprint: str
    exact_counts: ExactCounts
    summary: CountSummary
    outputs: dict[str, Path]
    row_counts: dict[str, int]
    timings: dict[str, float]
    n_candidates: int
    n_excluded: int
    warnings: list[str]
    n_listed: int = 0  # rows in invitations.csv (n_candidates capped by --top)


class SearchFrames(BaseModel):
    """The frames the outputs are written from (kept apart from writing so tests can inspect them)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    invitations: pl.DataFrame
    evidence: pl.DataFrame
    excluded: pl.DataFrame


Progress = Callable[[str], None]


class _Timer:
    def __init__(self, progress: Progress | None) -> None:
        self.timings: dict[str, float] = {}
        self.progress = progress

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        yield
        self.timings[name] = round(time.perf_counter() - start, 4)


def step_params(name: str, config: SearchConfig, as_of: dt.date, practice_id: str) -> dict[str, Any]:
    """The bound parameters of SQL step `name` under `config` (the single place they are derived)."""
    pain, sig, exc, flags, med = (
        config.chronic_pain,
        config.signal,
        config.exclusions,
        config.flags,
        config.medication,
    )
    params: dict[str, dict[str, Any]] = {
        "int_clinical_matches": {"as_of": as_of},
        "int_medication_matches": {"as_of": as_of},
        "int_fit_notes": {"as_of": as_of},
        "int_opioid_doses": {
            "as_of": as_of,
            "signal_months": sig.lookback_months,
            "default_days": med.ome_default_days,
            "min_days": med.ome_min_days,
            "max_days": med.ome_max_days,
        },
        "coh_population": {
            "as_of": as_of,
            "min_age": config.population.min_age,
            "max_age": config.population.max_age,
            "practice_id": practice_id,
        },
        "coh_pain": {
            "as_of": as_of,
            "pain_months": pain.lookback_months,
            "min_span_days": pain.min_span_days,
            "require_pain_code": pain.require_pain_code,
        },
        "coh_signal": {
            "as_of": as_of,
            "signal_months": sig.lookback_months,
            "min_issues": sig.min_opioid_or_gabapentinoid_issues,
            "min_fit_notes": sig.min_fit_notes,
        },
        "coh_reasons": {
            "as_of": as_of,
            "cancer_years": exc.cancer_lookback_years,
            "palliative_years": exc.palliative_care_lookback_years,
            "dependence_years": exc.opioid_dependence_lookback_years,
            "pregnancy_months": flags.pregnancy_lookback_months,
            "bereavement_months": flags.bereavement_lookback_months,
        },
        "coh_cohort": {
            "reason_order": list(EXCLUSION_REASONS + REVIEW_FLAGS),
            "promoted": list(promoted_flags(config)),
        },
        "coh_features": {
            "as_of": as_of,
            "signal_months": sig.lookback_months,
            "long_term_min_issues": med.long_term_min_issues,
            "long_term_min_span_days": med.long_term_min_span_days,
            "long_term_span_min_issues": med.long_term_span_min_issues,
            "current_grace_days": med.ome_grace_days,
        },
        "coh_evidence": {
            "as_of": as_of,
            "pain_months": pain.lookback_months,
            "signal_months": sig.lookback_months,
            "pregnancy_months": flags.pregnancy_lookback_months,
            "bereavement_months": flags.bereavement_lookback_months,
        },
    }
    return params.get(name, {})


def promoted_flags(config: SearchConfig) -> tuple[str, ...]:
    """The review flags treated as exclusions, in REVIEW_FLAGS order."""
    chosen = set(config.flags.promote_to_exclusion)
    return tuple(f for f in REVIEW_FLAGS if f in chosen)


def load_codelist_table(con: duckdb.DuckDBPyConnection, lists: dict[str, codelists.CodeList]) -> int:
    """Create the table `codelist` from the code lists (as data: codes are never put in SQL)."""
    schema = {column: frames.polars_type(kind) for column, kind in codelists.CODE_TABLE_SCHEMA.items()}
    frame = pl.DataFrame(codelists.code_table_columns(lists), schema=schema)
    return frames.create_table_from_frame(con, "codelist", frame)


def load_declined(con: duckdb.DuckDBPyConnection, path: Path | None) -> int:
    """Create the table `declined_patients` (patient_id) from the optional file of patients who declined."""
    ids = declined.read_declined_ids(path) if path is not None else []
    return frames.create_table(con, "declined_patients", {"patient_id": "VARCHAR"}, {"patient_id": ids})


def resolve_practice_id(con: duckdb.DuckDBPyConnection, files: reader.ExtractFiles) -> str:
    """extract.json's practice_id, else the single practice_id in registrations, else the folder name."""
    if files.meta.practice_id:
        return files.meta.practice_id
    rows = con.execute(
        "SELECT DISTINCT practice_id FROM stg_registrations WHERE practice_id IS NOT NULL LIMIT 2"
    ).fetchall()
    if len(rows) == 1:
        return str(rows[0][0])
    return files.folder.resolve().name


def run_steps(
    con: duckdb.DuckDBPyConnection,
    config: SearchConfig,
    as_of: dt.date,
    practice_id: str | None,
    timer: _Timer,
    names: tuple[str, ...] = STEPS,
) -> dict[str, int]:
    """Run SQL steps in order (the raw_<table> views, `codelist` and `declined_patients` must exist)."""
    rows: dict[str, int] = {}
    for name in names:
        with timer.step(name):
            rows[name] = sql_files.run_step(con, name, **step_params(name, config, as_of, practice_id or ""))
    return rows


def build_cohort(
    con: duckdb.DuckDBPyConnection,
    files: reader.ExtractFiles,
    config: SearchConfig,
    as_of: dt.date,
    timer: _Timer | None = None,
) -> tuple[dict[str, codelists.CodeList], str]:
    """Load the code lists and run every SQL step (the raw_<table> views must exist: validation makes them).
    Returns the code lists used and the practice_id."""
    timer = timer or _Timer(None)
    # Staged tables keep the files' row order, and their rowid is the record id the later steps use (see
    # sql/staging): DuckDB's default, set here so that no connection handed in can have turned it off.
    con.execute("SET preserve_insertion_order = true")
    with timer.step("code_lists"):
        lists = codelists.load_all(config.code_lists_dir)
        load_codelist_table(con, lists)
        load_declined(con, config.exclusions.declined_patient_ids_file)
    run_steps(con, config, as_of, None, timer, STAGING)
    practice_id = resolve_practice_id(con, files)
    run_steps(con, config, as_of, practice_id, timer, INTERMEDIATE)
    for big in DROPPED_AFTER_MATCHING:  # every later step reads the matched rows only: free the memory
        con.execute(f"DROP TABLE IF EXISTS {big}")
    run_steps(con, config, as_of, practice_id, timer, COHORT)
    return lists, practice_id


def run_search(
    extract: Path,
    out_dir: Path,
    config: SearchConfig,
    *,
    as_of: dt.date | None = None,
    top: int | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    progress: Progress | None = None,
) -> SearchResult:
    """Search one extract and write invitations.csv/.xlsx, excluded.csv, summary.json and manifest.json."""
    from pain_finder.outputs import write_outputs  # noqa: PLC0415 - outputs imports this module's models

    extract, out_dir = Path(extract), Path(out_dir)
    if top is not None and top < 1:
        from pain_finder.errors import ConfigError  # noqa: PLC0415

        raise ConfigError("--top must be 1 or more")
    own = con is None
    con = duckdb.connect() if own else con
    timer = _Timer(progress)
    progress_bar = con.execute("SELECT current_setting('enable_progress_bar')").fetchall()[0][0]
    con.execute("SET enable_progress_bar = false")  # DuckDB would draw its own bar over the console
    try:
        with timer.step("validate"):
            # validation first: it names a missing or duplicated file itself, among every other problem
            report = check_extract_or_raise(extract, as_of, con=con)
            files = reader.locate(extract)
        as_of_used, as_of_source = report.as_of, report.as_of_source
        lists, practice_id = build_cohort(con, files, config, as_of_used, timer)
        hashes = {name: cl.sha256 for name, cl in sorted(lists.items())}
        fp = fingerprint(config, hashes)
        warnings = [f"{p.describe()} [{p.check}]" for p in report.warnings]
        present = {cl.meta.concept for cl in lists.values()}
        warnings += [
            f"no code list for concept '{c}': it cannot match anything"
            for c in REQUIRED_CONCEPTS
            if c not in present
        ]
        with timer.step("ranking"):
            features = _frame(con, "SELECT * FROM coh_features")
            cohort = _frame(con, "SELECT patient_id, sex, age, reasons FROM coh_cohort")
            ranked = ranking.rank_frame(ranking.score_frame(features, as_of_used, config.ranking))
            listed = ranked.head(top) if top is not None else ranked
        with timer.step("evidence"):
            evidence = _evidence(con, listed, config, as_of_used, practice_id)
        with timer.step("counts"):
            exact = exact_counts(con, practice_id, ranked, cohort, config)
            criteria_lines = criteria.describe(config)
            description = " ".join(criteria_lines)
            summary = build_summary(
                exact,
                as_of=as_of_used,
                fingerprint=fp,
                definition=config.definition_dict(),
                description=description,
                policy=config.disclosure,
                software_version=__version__,
                code_lists=hashes,
            )
        tables = SearchFrames(
            invitations=invitation_frame(listed, practice_id),
            evidence=evidence,
            excluded=excluded_frame(cohort),
        )
        row_counts = {t: int(n) for t, n in report.row_counts.items() if n is not None}
        n_candidates, n_excluded = ranked.height, tables.excluded.height
        result = SearchResult(
            practice_id=practice_id,
            as_of=as_of_used,
            as_of_source=as_of_source,
            fingerprint=fp,
            exact_counts=exact,
            summary=summary,
            outputs={},
            row_counts=row_counts,
            timings=timer.timings,
            n_candidates=n_candidates,
            n_excluded=n_excluded,
            warnings=warnings,
            n_listed=tables.invitations.height,
        )
        with timer.step("write_outputs"):
            result.outputs = write_outputs(
                out_dir,
                tables,
                result,
                config=config,
                lists=lists,
                files=files,
                criteria_lines=criteria_lines,
            )
        result.timings = timer.timings
        return result
    finally:
        if own:
            con.close()
        else:
            with contextlib.suppress(duckdb.Error):
                con.execute(f"SET enable_progress_bar = {'true' if progress_bar else 'false'}")


def _evidence(
    con: duckdb.DuckDBPyConnection,
    listed: pl.DataFrame,
    config: SearchConfig,
    as_of: dt.date,
    practice_id: str,
) -> pl.DataFrame:
    frames.create_table(
        con,
        "listed",
        {"patient_id": "VARCHAR", "rank": "BIGINT"},
        {"patient_id": listed["patient_id"].to_list(), "rank": listed["rank"].to_list()},
    )
    sql_files.run_step(con, "coh_evidence", **step_params("coh_evidence", config, as_of, practice_id))
    return _frame(con, "SELECT * FROM coh_evidence")


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    """A query's result as a polars frame."""
    return frames.fetch_frame(con, sql)


def _yes_no(column: str) -> pl.Expr:
    return pl.when(pl.col(column)).then(pl.lit("yes")).otherwise(pl.lit("no")).alias(column)


def invitation_frame(listed: pl.DataFrame, practice_id: str) -> pl.DataFrame:
    """The invitations in contract column order (columns.INVITATION_COLUMNS), typed for the workbook."""
    from pain_finder.outputs.columns import INVITATION_COLUMNS  # noqa: PLC0415

    frame = listed.with_columns(
        pl.lit(practice_id).alias("practice_id"),
        pl.col("nhs_number").fill_null(""),
        pl.col("ome_mg_per_day").round(1),
        _yes_no("opioid_long_term"),
        _yes_no("gabapentinoid_long_term"),
        _yes_no("chronic_pain_code"),
        pl.col("flags").list.join(";").fill_null("").alias("review_flags"),
    )
    return frame.select(list(INVITATION_COLUMNS))


def excluded_frame(cohort: pl.DataFrame) -> pl.DataFrame:
    """Every patient who met criteria 2-3 but was removed: patient_id, reasons (';'-joined), age, sex."""
    from pain_finder.outputs.columns import EXCLUDED_COLUMNS  # noqa: PLC0415

    frame = (
        cohort.filter(pl.col("reasons").list.len() > 0)
        .with_columns(pl.col("reasons").list.join(";"))
        .sort("patient_id")
    )
    return frame.select(list(EXCLUDED_COLUMNS))


def _signal_combination(opioid: bool, gaba: bool, fit: bool) -> str | None:
    names = {
        (True, False, False): "opioid_only",
        (False, True, False): "gabapentinoid_only",
        (False, False, True): "fit_note_only",
        (True, True, False): "opioid_and_gabapentinoid",
        (True, False, True): "opioid_and_fit_note",
        (False, True, True): "gabapentinoid_and_fit_note",
        (True, True, True): "all_three",
    }
    return names.get((opioid, gaba, fit))


def exact_counts(
    con: duckdb.DuckDBPyConnection,
    practice_id: str,
    ranked: pl.DataFrame,
    cohort: pl.DataFrame,
    config: SearchConfig,
) -> ExactCounts:
    """The exact counts (counts.ExactCounts): attrition, removals by reason, flags, candidates by group."""
    labels = dict(ATTRITION_STEPS)
    first = sql_files.load("cnt_attrition")
    registered, working_age, chronic_pain, signal = con.execute(first.body).fetchone()
    steps = [
        AttritionStep(key=k, label=labels[k], count=int(n))
        for k, n in (
            ("registered", registered),
            ("working_age", working_age),
            ("chronic_pain", chronic_pain),
            ("signal", signal),
        )
    ]
    applied = EXCLUSION_REASONS + promoted_flags(config)
    reasons = cohort["reasons"].to_list()
    # The funnel continues from `signal` (alive, registered, in the age range, pain and signal): the clinical
    # exclusions then remove patients in order.
    remaining = [set(r) for r in reasons if not set(r) & set(POPULATION_REASONS)]
    # Criterion 1's reasons (age, deceased, not_registered) were applied before the funnel's first step, so
    # they get no `after_` step (it would repeat `signal`); their removals are still in removed_by_reason.
    for reason in (r for r in applied if r not in POPULATION_REASONS):
        remaining = [r for r in remaining if reason not in r]
        label = f"Not excluded for {reason.replace('_', ' ')}"
        steps.append(AttritionStep(key=f"after_{reason}", label=label, count=len(remaining)))
    steps.append(AttritionStep(key="candidates", label=labels["candidates"], count=ranked.height))
    removed = {reason: sum(reason in r for r in reasons) for reason in applied}
    flag_lists = ranked["flags"].to_list()
    flagged = {flag: sum(flag in f for f in flag_lists) for flag in REVIEW_FLAGS}
    ages = ranked["age"].to_list()
    by_band = {label: sum(low <= a <= high for a in ages) for label, low, high in AGE_BANDS}
    sexes = ranked["sex"].to_list()
    by_sex = {s: sexes.count(s) for s in SEXES}
    combos = [
        _signal_combination(o > 0, g > 0, f > 0)
        for o, g, f in zip(
            ranked["opioids_12m"], ranked["gabapentinoids_12m"], ranked["fit_notes_12m"], strict=True
        )
    ]
    by_signal = {c: combos.count(c) for c in SIGNAL_COMBINATIONS}
    return ExactCounts(
        practice_id=practice_id,
        attrition=steps,
        removed_by_reason=removed,
        flagged_by_flag=flagged,
        candidates_by_age_band=by_band,
        candidates_by_sex=by_sex,
        candidates_by_signal=by_signal,
    )
