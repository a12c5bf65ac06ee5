"""`generate(SynthOptions)`: write synthetic practice extracts in the canonical layout.

Patients are simulated in blocks of BLOCK_PATIENTS; each block has its own random streams (seeded from the
seed, the practice number, the block number and the model part), is turned into rows and appended to the open
table files, then dropped. Memory stays flat however many patients are asked for, and the files depend only on
the options and the code lists: never on timing, dict or set order, or the machine.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from pain_finder import __version__
from pain_finder.atomic import remove_stale_temporaries, write_text
from pain_finder.errors import OutputError
from pain_finder.extract.schema import EXTRACT_META_FILE, TABLES
from pain_finder.synth.codebook import CodeBook
from pain_finder.synth.history import READ_7_CHARS, History, Records, stream
from pain_finder.synth.options import SynthOptions
from pain_finder.synth.population import SEX_NAMES, People, nhs_test_numbers, simulate_people, to_day
from pain_finder.synth.writers import TableWriter, remove_other_format

BLOCK_PATIENTS = 2500
PATIENT_ID_BASE = 100_000_000  # practice k's patients are k*BASE + 1, k*BASE + 2, ...


def practice_codes(seed: int, practices: int) -> list[str]:
    """ODS-like practice codes (`Y` and five digits), distinct and fixed by the seed."""
    rng = np.random.default_rng([seed, 0x0D5])
    return [f"Y{n:05d}" for n in rng.choice(100_000, size=practices, replace=False)]


def generate(
    options: SynthOptions,
    *,
    warn: Callable[[str], None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Path]:
    """Write `options.practices` extracts and return their folders.

    `warn` receives one line per code list that is missing (that concept is skipped); `progress` one line per
    practice written. Raises OutputError when a folder cannot be written.
    """
    book = CodeBook.load(options)
    for line in book.warnings:
        (warn or (lambda _m: None))(line)
    out = Path(options.out)
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out} exists and is not a folder: choose another output folder")
    codes = practice_codes(options.seed, options.practices)
    nhs = nhs_test_numbers()
    nhs = nhs[np.random.default_rng([options.seed, 0x4E4853]).permutation(len(nhs))]
    sizes = practice_sizes(options.patients, options.practices)
    folders: list[Path] = []
    for k, practice_id in enumerate(codes, start=1):
        folder = out if options.practices == 1 else out / f"practice_{k:03d}"
        try:
            rows = _write_practice(options, book, folder, k, practice_id, sizes, nhs)
        except OSError as exc:
            raise OutputError(f"cannot write the extract in {folder}: {exc.strerror or exc}") from exc
        folders.append(folder)
        if progress:
            progress(f"{folder}: practice {practice_id}, " + ", ".join(f"{n:,} {t}" for t, n in rows.items()))
    return folders


def practice_sizes(patients: int, practices: int) -> list[int]:
    """Patients split as evenly as possible: the first `patients % practices` practices get one more."""
    base, extra = divmod(patients, practices)
    return [base + (1 if k < extra else 0) for k in range(practices)]


def _write_practice(
    options: SynthOptions,
    book: CodeBook,
    folder: Path,
    k: int,
    practice_id: str,
    sizes: list[int],
    nhs: np.ndarray,
) -> dict[str, int]:
    size, offset = sizes[k - 1], sum(sizes[: k - 1])  # this practice's patients; those of the ones before
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(folder)
    extract_day = to_day(options.extract_date)
    window_start = extract_day - int(round(options.history_years * 365.25))
    lookups = _Lookups(book, options)
    event_counter = 0
    with contextlib.ExitStack() as stack:
        writers = {t: TableWriter(stack, folder, t, options.file_format) for t in TABLES}
        for block, first in enumerate(range(0, size, BLOCK_PATIENTS)):
            n = min(BLOCK_PATIENTS, size - first)
            people = simulate_people(stream(options.seed, k, block, "people"), n, extract_day, window_start)
            records = History(
                people,
                book,
                seed=options.seed,
                practice=k,
                block=block,
                noise_scale=options.noise_scale,
                extract_day=extract_day,
            ).build()
            ids = pl.Series("patient_id", np.arange(first, first + n) + k * PATIENT_ID_BASE + 1).cast(pl.Utf8)
            # NHS numbers: handed out in turn over the run (unique while the run has fewer patients than the
            # test range holds), never twice in one extract; a practice larger than the range has blanks.
            slot = offset + np.arange(first, first + n)
            nhs_ok = np.arange(first, first + n) < len(nhs)
            nhs_numbers = pl.Series(np.where(nhs_ok, nhs[slot % len(nhs)], 0)).cast(pl.Utf8)
            nhs_numbers = pl.select(pl.when(pl.Series(nhs_ok)).then(nhs_numbers)).to_series()
            writers["patients"].write(_patients(people, ids, practice_id, nhs_numbers))
            writers["registrations"].write(_registrations(people, ids, practice_id))
            read7 = stream(options.seed, k, block, "read7")
            events = _events(records, ids, lookups, event_counter, read7)
            event_counter += events.height
            writers["clinical_events"].write(events)
            writers["medication_issues"].write(_issues(records, ids, lookups))
            writers["fit_notes"].write(_fit_notes(records, ids))
    remove_other_format(folder, options.file_format)
    rows = {t: w.rows for t, w in writers.items()}
    meta = {
        "source_format": "synth",
        "extract_date": options.extract_date.isoformat(),
        "practice_id": practice_id,
        "synth": {
            "software_version": __version__,
            "options": {
                "patients": options.patients,
                "practice_patients": size,
                "practices": options.practices,
                "practice_number": k,
                "coding": options.coding,
                "medication_code_system": options.medication_system,
                "seed": options.seed,
                "file_format": options.file_format,
                "extract_date": options.extract_date.isoformat(),
                "history_years": options.history_years,
                "noise_scale": options.noise_scale,
                "code_lists_dir": str(options.code_lists_dir) if options.code_lists_dir else None,
            },
            "code_lists_used": dict(sorted(book.lists_used.items())),
            "warnings": book.warnings,
            "rows": rows,
        },
    }
    write_text(folder / EXTRACT_META_FILE, json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return rows


class _Lookups:
    """Codes, terms and product details as polars Series, gathered by index (fast for millions of rows)."""

    def __init__(self, book: CodeBook, options: SynthOptions) -> None:
        self.coding = options.coding
        self.n_codes = len(book.clinical_codes)
        codes = list(book.clinical_codes)
        if options.coding == "readv2":  # second half: the 7-character form with the term suffix
            codes += [c + "00" if len(c) == 5 else c for c in book.clinical_codes]
        self.codes = pl.Series(codes, dtype=pl.Utf8)
        self.terms = pl.Series(book.clinical_terms, dtype=pl.Utf8)
        self.medication_system = options.medication_system
        pr = book.products
        self.p_code = pl.Series([p.code for p in pr], dtype=pl.Utf8)
        self.p_term = pl.Series([p.term for p in pr], dtype=pl.Utf8)
        self.p_dosage = pl.Series([p.dosage for p in pr], dtype=pl.Utf8)
        self.p_bnf = pl.Series([p.bnf_code or None for p in pr], dtype=pl.Utf8)


def _date(days: np.ndarray, name: str) -> pl.Series:
    return pl.Series(name, np.asarray(days, dtype=np.int32)).cast(pl.Date)


def _opt_date(days: np.ndarray, name: str) -> pl.Series:
    s = _date(np.maximum(days, 0), name)
    return pl.select(pl.when(pl.Series(days >= 0)).then(s)).to_series().alias(name)


def _patients(people: People, ids: pl.Series, practice_id: str, nhs: pl.Series) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "patient_id": ids,
            "date_of_birth": _date(people.dob, "date_of_birth"),
            "sex": pl.Series(np.array(SEX_NAMES)[people.sex], dtype=pl.Utf8),
            "date_of_death": _opt_date(people.death, "date_of_death"),
            "practice_id": pl.Series([practice_id] * len(people), dtype=pl.Utf8),
            "nhs_number": nhs.alias("nhs_number"),
        }
    )


def _registrations(people: People, ids: pl.Series, practice_id: str) -> pl.DataFrame:
    prev = people.prev_start >= 0
    idx = np.concatenate([np.flatnonzero(prev), np.arange(len(people))])
    start = np.concatenate([people.prev_start[prev], people.reg_start])
    end = np.concatenate([people.prev_end[prev], people.reg_end])
    order = np.lexsort((start, idx))
    idx, start, end = idx[order], start[order], end[order]
    return pl.DataFrame(
        {
            "patient_id": ids.gather(idx),
            "practice_id": pl.Series([practice_id] * len(idx), dtype=pl.Utf8),
            "start_date": _date(start, "start_date"),
            "end_date": _opt_date(end, "end_date"),
        }
    )


def _events(
    records: Records, ids: pl.Series, lk: _Lookups, first_id: int, rng: np.random.Generator
) -> pl.DataFrame:
    ce = Records.cat(records.ce)
    df = pl.DataFrame(
        {
            "pat": ce["pat"].astype(np.int64),
            "day": ce["day"].astype(np.int64),
            "code": ce["code"].astype(np.int64),
            "value": ce["value"].astype(np.float64),
        }
    )
    df = df.sort(["pat", "day", "code"], maintain_order=True)
    code = df["code"].to_numpy()
    shown = code
    if lk.coding == "readv2":
        shown = code + np.where(rng.random(len(code)) < READ_7_CHARS, lk.n_codes, 0)
    value = df["value"]
    return pl.DataFrame(
        {
            "patient_id": ids.gather(df["pat"]),
            "event_date": _date(df["day"].to_numpy(), "event_date"),
            "code": lk.codes.gather(shown),
            "code_system": pl.Series([lk.coding]).gather(np.zeros(len(code), dtype=np.int64)),
            "term": lk.terms.gather(code),
            "numeric_value": value.fill_nan(None),
            "event_id": pl.Series(np.arange(first_id + 1, first_id + 1 + len(code))).cast(pl.Utf8),
        }
    )


def _issues(records: Records, ids: pl.Series, lk: _Lookups) -> pl.DataFrame:
    mi = Records.cat(records.mi)
    df = pl.DataFrame(
        {
            "pat": mi["pat"].astype(np.int64),
            "day": mi["day"].astype(np.int64),
            "product": mi["product"].astype(np.int64),
            "qty": mi["qty"].astype(np.int32),
            "repeat": mi["repeat"].astype(bool),
        }
    )
    df = df.sort(["pat", "day", "product"], maintain_order=True)
    product = df["product"]
    return pl.DataFrame(
        {
            "patient_id": ids.gather(df["pat"]),
            "issue_date": _date(df["day"].to_numpy(), "issue_date"),
            "code": lk.p_code.gather(product),
            "code_system": pl.Series([lk.medication_system]).gather(np.zeros(df.height, dtype=np.int64)),
            "term": lk.p_term.gather(product),
            "quantity": df["qty"],
            "dosage_text": lk.p_dosage.gather(product),
            "bnf_code": lk.p_bnf.gather(product),
            "prescription_type": pl.Series(["acute", "repeat"]).gather(df["repeat"].cast(pl.Int64)),
        }
    )


def _fit_notes(records: Records, ids: pl.Series) -> pl.DataFrame:
    fn = Records.cat(records.fn)
    df = pl.DataFrame(
        {
            "pat": fn["pat"].astype(np.int64),
            "issue": fn["issue"].astype(np.int64),
            "start": fn["start"].astype(np.int64),
            "end": fn["end"].astype(np.int64),
            "may": fn["may_be_fit"].astype(bool),
        }
    )
    df = df.sort(["pat", "issue", "end"], maintain_order=True)
    return pl.DataFrame(
        {
            "patient_id": ids.gather(df["pat"]),
            "issue_date": _date(df["issue"].to_numpy(), "issue_date"),
            "start_date": _date(df["start"].to_numpy(), "start_date"),
            "end_date": _date(df["end"].to_numpy(), "end_date"),
            "fitness": pl.Series(["not_fit", "may_be_fit"]).gather(df["may"].cast(pl.Int64)),
        }
    )
