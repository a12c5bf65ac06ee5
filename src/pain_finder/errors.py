"""The errors a user can see, and the exit code each one maps to.

Every failure a user can cause (a bad file, a bad config, a refused merge) is raised as a subclass of
`PainFinderError`. The CLI prints its message as one paragraph (`Error: ...`) and exits with its `exit_code`;
it never prints a traceback for these. Anything else is a bug and exits with `EXIT_INTERNAL`.

Messages must never contain patient-level values (identifiers, dates of events): they name the file, the row
number and the column, and describe the problem.
"""

from __future__ import annotations

from pathlib import Path

# Exit codes: documented in the README's "Exit codes" table. Keep the two in step.
EXIT_OK = 0
EXIT_INTERNAL = 1  # an unexpected error (a bug): please report it
EXIT_USAGE = 2  # the command line itself was wrong (typer/click use 2 as well)
EXIT_INPUT = 3  # an input file (extract, summary, code list) is missing or invalid
EXIT_CONFIG = 4  # a configuration file or option is invalid
EXIT_OUTPUT = 5  # an output could not be written
EXIT_MERGE_REFUSED = 6  # merge refused: different search definitions or the same practice twice
EXIT_BATCH_PARTIAL = 7  # batch: at least one practice failed, the others completed
EXIT_NOTHING_TO_DO = 8  # batch: no extracts found, or every practice was already up to date
EXIT_LOCKED = 9  # batch: another run holds the lock on the output root

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INTERNAL: (
        "unexpected internal error (a bug: please report it with the log, never with patient data)"
    ),
    EXIT_USAGE: "command-line usage error",
    EXIT_INPUT: "an input file is missing or invalid",
    EXIT_CONFIG: "a configuration file or option is invalid",
    EXIT_OUTPUT: "an output could not be written",
    EXIT_MERGE_REFUSED: "merge refused (different search definitions, or the same practice twice)",
    EXIT_BATCH_PARTIAL: "batch finished but at least one practice failed",
    EXIT_NOTHING_TO_DO: "batch had nothing to do",
    EXIT_LOCKED: "another batch run is using this output root",
}


class PainFinderError(Exception):
    """Base class for errors shown to users as a one-paragraph message."""

    exit_code: int = EXIT_INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def location(file: str | Path | None = None, row: int | None = None, column: str | None = None) -> str:
    """Format where a problem is: `patients.csv, row 12, column 'date_of_birth'`.

    Row numbers count the header as row 1, so they match what a spreadsheet shows.
    """
    parts: list[str] = []
    if file is not None:
        parts.append(Path(file).name if isinstance(file, Path) else str(file))
    if row is not None:
        parts.append(f"row {row}")
    if column is not None:
        parts.append(f"column '{column}'")
    return ", ".join(parts)


class InputError(PainFinderError):
    """An input file is missing, unreadable or invalid."""

    exit_code = EXIT_INPUT

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        where = location(file, row, column)
        super().__init__(f"{where}: {message}" if where else message)
        self.file, self.row, self.column = file, row, column


class ExtractInvalidError(InputError):
    """Validation found fatal problems in an extract (the report lists them)."""


class ConfigError(PainFinderError):
    """A configuration file or command-line option is invalid."""

    exit_code = EXIT_CONFIG


class OutputError(PainFinderError):
    """An output file or folder could not be written."""

    exit_code = EXIT_OUTPUT


class MergeRefusedError(PainFinderError):
    """Summaries cannot be merged safely."""

    exit_code = EXIT_MERGE_REFUSED


class LockedError(PainFinderError):
    """Another batch run holds the lock on the output root."""

    exit_code = EXIT_LOCKED


class NothingToDoError(PainFinderError):
    """A batch found nothing to run."""

    exit_code = EXIT_NOTHING_TO_DO
