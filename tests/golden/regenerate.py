"""Regenerate the golden outputs for sample_data/ (`make golden`): review the diff before committing it.

For each sample practice, the search with the default definition writes invitations.csv, excluded.csv and
summary.json; those three files are kept here and tests/golden/test_golden.py checks that the search still
writes exactly these bytes. A change to the definition, the code lists, the ranking or the sample data changes
them on purpose: regenerate, read the diff as a GP would (who moved, who appeared, who went), then commit.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from pain_finder.config import SearchConfig
from pain_finder.search import run_search

REPO = Path(__file__).resolve().parents[2]
SAMPLE_DATA = REPO / "sample_data"
GOLDEN = Path(__file__).resolve().parent
COMPARED = ("invitations.csv", "excluded.csv", "summary.json")


def sample_practices() -> list[Path]:
    return sorted(p for p in SAMPLE_DATA.iterdir() if p.is_dir())


def search_outputs(extract: Path, out: Path) -> dict[str, bytes]:
    """Search one sample practice into `out` and return the compared files' bytes."""
    run_search(extract, out, SearchConfig())
    return {name: (out / name).read_bytes() for name in COMPARED}


def main() -> int:
    for extract in sample_practices():
        with tempfile.TemporaryDirectory() as tmp:
            outputs = search_outputs(extract, Path(tmp))
        target = GOLDEN / extract.name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        for name, data in outputs.items():
            (target / name).write_bytes(data)
        print(f"wrote {target.relative_to(REPO)}/: {', '.join(outputs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
