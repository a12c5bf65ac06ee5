"""report.html in a real browser: headless Chromium draws the page with its charts, offline.

Skipped (with the reason) where Chromium is not installed; `make test` installs Debian's `chromium` first.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from pain_finder.counts import simulated_counts
from pain_finder.disclosure import DisclosurePolicy
from pain_finder.merge import merge_summaries, write_network
from pain_finder.report.charts import BAR
from pain_finder.summary import build_summary

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
]
# Records each image's decoded size in the DOM once the page has loaded (only in the test's copy of the page).
PROBE = (
    "<script>window.addEventListener('load', () => { document.body.setAttribute('data-images', "
    "Array.from(document.images).map(i => i.naturalWidth + 'x' + i.naturalHeight).join(',')); });</script>"
)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium, or `make browser`)")


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("network")
    # small practices, so the report has suppressed cells (hatched bars) as well as rounded ones
    exacts = [simulated_counts(f"P{i:03d}", seed=i, registered=300 + 700 * i) for i in range(8)]
    summaries = [
        build_summary(
            e,
            as_of=dt.date(2026, 9, 30),
            fingerprint="f00dfeedf00dfeed",
            definition={},
            description="default definition",
            policy=DisclosurePolicy(),
            software_version="0.1.0",
        )
        for e in exacts
    ]
    write_network(merge_summaries(summaries), out)
    return out


def _run(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_charts_are_decoded_at_their_real_size(report, tmp_path):
    browser = _chromium()
    probe = tmp_path / "report_probe.html"
    probe.write_text(
        (report / "report.html").read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"),
        encoding="utf-8",
    )
    result = _run(browser, tmp_path, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'data-images="([^"]*)"', result.stdout)
    assert found, result.stdout[:2000]
    expected = []
    for name in ("funnel.png", "candidates_by_practice.png", "breakdowns.png"):
        with Image.open(report / name) as img:
            expected.append(f"{img.width}x{img.height}")
    assert found.group(1).split(",") == expected


def test_screenshot_shows_the_charts(report, tmp_path):
    browser = _chromium()
    shot = tmp_path / "report.png"
    result = _run(
        browser,
        tmp_path,
        "--window-size=1000,3000",
        f"--screenshot={shot}",
        (report / "report.html").as_uri(),
    )
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    keep = Path(__file__).resolve().parents[2] / ".pytest_cache" / "report_screenshot.png"
    keep.parent.mkdir(exist_ok=True)
    shutil.copyfile(shot, keep)  # for a person to look at
    with Image.open(shot) as img:
        rgb = img.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
    assert colours is not None and len(colours) > 50, "the page looks blank"
    bar = tuple(int(BAR[i : i + 2], 16) for i in (1, 3, 5))
    bar_pixels = sum(n for n, c in colours if c == bar)
    assert bar_pixels > 20_000, f"only {bar_pixels} pixels of the bar colour: are the charts drawn?"
