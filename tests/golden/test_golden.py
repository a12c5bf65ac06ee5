"""The search on sample_data/ writes exactly the reviewed golden outputs (regenerate on purpose:
`make golden`).
"""

from __future__ import annotations

import difflib

import pytest

from tests.golden.regenerate import COMPARED, GOLDEN, sample_practices, search_outputs


@pytest.mark.parametrize("extract", sample_practices(), ids=lambda p: p.name)
def test_search_output_equals_golden(extract, tmp_path):
    outputs = search_outputs(extract, tmp_path)
    for name in COMPARED:
        expected = (GOLDEN / extract.name / name).read_bytes()
        if outputs[name] != expected:
            diff = "\n".join(
                list(
                    difflib.unified_diff(
                        expected.decode().splitlines(),
                        outputs[name].decode().splitlines(),
                        f"golden/{extract.name}/{name}",
                        f"new/{name}",
                        lineterm="",
                        n=1,
                    )
                )[:40]
            )
            pytest.fail(
                f"{extract.name}/{name} differs from the golden copy (run `make golden` if intended):\n{diff}"
            )


def test_every_sample_practice_has_golden_outputs_with_candidates():
    practices = sample_practices()
    assert len(practices) >= 2
    for extract in practices:
        lines = (GOLDEN / extract.name / "invitations.csv").read_text().splitlines()
        assert len(lines) > 20, f"{extract.name}: the sample practice should yield a real list to check"
