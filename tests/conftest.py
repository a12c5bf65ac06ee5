"""Shared test fixtures: where the repository and the shared reference material are."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
FIXTURES = REPO_ROOT / "tests" / "fixtures"
# ../shared sits beside the checkout (in CI too); tests that read it skip when it is absent.
SHARED = REPO_ROOT.parent / "shared"
REFERENCE_CODELISTS = SHARED / "reference" / "codelists"
REFERENCE_DATASETS = SHARED / "reference" / "datasets"


@pytest.fixture
def reference_codelists() -> Path:
    if not REFERENCE_CODELISTS.is_dir():
        pytest.skip(
            f"published reference code lists not found at {REFERENCE_CODELISTS} (../shared is absent)"
        )
    return REFERENCE_CODELISTS


@pytest.fixture
def reference_datasets() -> Path:
    if not REFERENCE_DATASETS.is_dir():
        pytest.skip(f"public sample datasets not found at {REFERENCE_DATASETS} (../shared is absent)")
    return REFERENCE_DATASETS
