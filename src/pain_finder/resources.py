"""Where the packaged data folders (`sql/`, `code_lists/`) are.

In a wheel they are installed inside the package (`pain_finder/sql`, `pain_finder/code_lists`, see
pyproject.toml). In a source checkout or an editable install they are at the repository root. Both are found
from any working directory.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_ROOT = _PACKAGE_DIR.parent.parent


@cache
def data_dir(name: str) -> Path:
    """Return the folder `name` ("sql" or "code_lists"), packaged copy first."""
    for candidate in (_PACKAGE_DIR / name, _REPO_ROOT / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"pain_finder's '{name}' folder is missing from the installation ({_PACKAGE_DIR}); "
        "reinstall the package"
    )


def sql_dir() -> Path:
    return data_dir("sql")


def code_lists_dir() -> Path:
    return data_dir("code_lists")
