"""`make bench`: speed and memory of pain_finder's main jobs, each beside a baseline measured in the same run.

The machines this runs on are shared and noisy, so every figure is reported as a ratio to a baseline timed
moments earlier on the same machine, not as an absolute pass/fail threshold:

- search:  wall time and peak memory of `pain-finder search` on synthetic extracts of 10k and 100k patients,
           beside the time DuckDB takes just to read the same input files once (the floor);
- batch:   a batch of 20 practices x 10k patients, beside the 20 searches run one after another;
- import:  converting a synthetic 100k-patient OpenSAFELY-format source, beside reading its files once;
- synth:   generating the extracts (for the record).

Each measurement runs in its own child process; its peak resident memory is read from the child's rusage
(`os.wait4`), so one job's memory does not hide another's. Results go to a Markdown file (default
bench/results.md) and a JSON file beside it.

    python bench/run.py --out bench/results.md [--sizes 10000,100000] [--batch-practices 20] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
PF = [str(BIN / "pain-finder")] if (BIN / "pain-finder").exists() else [sys.executable, "-m", "pain_finder"]
AS_OF = "2026-09-30"


@dataclass
class Measure:
    job: str
    wall_s: float
    peak_mib: float
    exit_code: int

    def row(self) -> str:
        return f"| {self.job} | {self.wall_s:.2f} | {self.peak_mib:.0f} | {self.exit_code} |"


def run(job: str, argv: list[str], *, cwd: Path | None = None) -> Measure:
    """Run argv as a child process; return its wall time and peak RSS (from the child's own rusage)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode not in (0, 7):  # 7 = batch with a failed practice: still a measurement
        sys.stderr.write(f"{job} failed (exit {proc.returncode}):\n{err[-2000:]}\n")
    # ru_maxrss is in KiB on Linux.
    m = Measure(job=job, wall_s=wall, peak_mib=usage.ru_maxrss / 1024, exit_code=proc.returncode)
    print(f"  {m.job:<48} {m.wall_s:8.2f} s {m.peak_mib:8.0f} MiB  exit {m.exit_code}", flush=True)
    return m


FLOOR_SNIPPET = """
import sys, duckdb
from pathlib import Path
con = duckdb.connect()
for path in sorted(Path(sys.argv[1]).iterdir()):
    if path.suffix == ".csv":
        # every column as text, as the search reads them: the cost of one pass over the bytes
        con.execute("SELECT count(*) FROM read_csv(?, header=true, all_varchar=true)", [str(path)]).fetchall()
    elif path.suffix == ".parquet":
        con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchall()
"""


def floor(job: str, folder: Path) -> Measure:
    return run(job, [sys.executable, "-c", FLOOR_SNIPPET, str(folder)])


def ratio(a: Measure, b: Measure) -> str:
    return f"{a.wall_s / b.wall_s:.1f}x" if b.wall_s > 0 else "n/a"


def folder_mib(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / (1 << 20)


def bench_search(work: Path, sizes: list[int], lines: list[str], results: dict) -> None:
    lines += [
        "## Search",
        "",
        "Wall time and peak memory of `pain-finder search` beside DuckDB reading the same files once.",
        "",
        (
            "| patients | input MiB | synth s | floor s (read once) | search s | search / floor "
            "| search peak MiB |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sizes:
        extract = work / f"synth_{n}"
        if extract.exists():
            shutil.rmtree(extract)
        s = run(
            f"synth {n:,} patients",
            [*PF, "synth", str(extract), "--patients", str(n), "--seed", "1", "--extract-date", AS_OF],
        )
        f = floor(f"floor: read {n:,}-patient extract once", extract)
        q = run(f"search {n:,} patients", [*PF, "search", str(extract), "--out", str(work / f"out_{n}")])
        results[f"search_{n}"] = {
            "synth": asdict(s),
            "floor": asdict(f),
            "search": asdict(q),
            "input_mib": folder_mib(extract),
        }
        lines.append(
            f"| {n:,} | {folder_mib(extract):.0f} | {s.wall_s:.1f} | {f.wall_s:.2f} | {q.wall_s:.2f} | "
            f"{ratio(q, f)} | {q.peak_mib:.0f} |"
        )
    lines.append("")


def bench_batch(work: Path, practices: int, patients: int, lines: list[str], results: dict) -> None:
    root = work / "batch_extracts"
    if root.exists():
        shutil.rmtree(root)
    run(
        f"synth {practices} practices x {patients:,}",
        [
            *PF,
            "synth",
            str(root),
            "--patients",
            str(patients * practices),
            "--practices",
            str(practices),
            "--seed",
            "2",
            "--extract-date",
            AS_OF,
        ],
    )
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    start = time.perf_counter()
    seq_peak = 0.0
    for folder in folders:
        m = run(
            f"sequential search {folder.name}",
            [*PF, "search", str(folder), "--out", str(work / "seq_out" / folder.name)],
        )
        seq_peak = max(seq_peak, m.peak_mib)
    seq = Measure(
        job=f"{len(folders)} searches one after another",
        wall_s=time.perf_counter() - start,
        peak_mib=seq_peak,
        exit_code=0,
    )
    out_root = work / "batch_out"
    if out_root.exists():
        shutil.rmtree(out_root)
    config = work / "batch.toml"
    config.write_text(
        f'extracts_dir = "{root}"\noutput_root = "{out_root}"\n[as_of]\nrule = "fixed"\ndate = {AS_OF}\n',
        encoding="utf-8",
    )
    b = run(f"batch of {len(folders)} practices", [*PF, "batch", str(config), "--force"])
    results["batch"] = {
        "sequential": asdict(seq),
        "batch": asdict(b),
        "practices": len(folders),
        "patients_each": patients,
        "cores": os.cpu_count(),
    }
    lines += [
        "## Batch",
        "",
        f"{len(folders)} practices x {patients:,} patients on {os.cpu_count()} cores.",
        "",
        "| run | wall s | peak MiB (largest process) | ratio to sequential |",
        "|---|---:|---:|---:|",
        f"| searches one after another | {seq.wall_s:.1f} | {seq.peak_mib:.0f} | 1.0x |",
        f"| `pain-finder batch` | {b.wall_s:.1f} | {b.peak_mib:.0f} | {b.wall_s / seq.wall_s:.2f}x |",
        "",
    ]


def bench_importer(work: Path, patients: int, lines: list[str], results: dict) -> None:
    sys.path.insert(0, str(HERE))
    try:
        from bench_import import make_opensafely_source  # type: ignore[import-not-found]
    except ImportError as exc:
        lines += ["## Import", "", f"(not measured: {exc})", ""]
        return
    source = work / f"opensafely_{patients}"
    if source.exists():
        shutil.rmtree(source)
    make_opensafely_source(source, patients)
    f = floor(f"floor: read {patients:,}-patient OpenSAFELY source once", source)
    out = work / f"imported_{patients}"
    if out.exists():
        shutil.rmtree(out)
    m = run(
        f"import opensafely {patients:,} patients",
        [*PF, "import", "opensafely", str(source), "--out", str(out)],
    )
    results["import"] = {"floor": asdict(f), "import": asdict(m), "input_mib": folder_mib(source)}
    lines += [
        "## Import",
        "",
        "| source | input MiB | floor s (read once) | import s | import / floor | peak MiB |",
        "|---|---:|---:|---:|---:|---:|",
        f"| OpenSAFELY CSV, {patients:,} patients | {folder_mib(source):.0f} | {f.wall_s:.2f} | "
        f"{m.wall_s:.2f} | {ratio(m, f)} | {m.peak_mib:.0f} |",
        "",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--out", type=Path, default=HERE / "results.md", help="the Markdown results file to write"
    )
    ap.add_argument("--work", type=Path, default=HERE / "work", help="scratch folder for generated extracts")
    ap.add_argument("--sizes", default="10000,100000", help="patients per search benchmark, comma-separated")
    ap.add_argument("--batch-practices", type=int, default=20, help="practices in the batch benchmark")
    ap.add_argument("--batch-patients", type=int, default=10_000, help="patients per batch practice")
    ap.add_argument("--import-patients", type=int, default=100_000, help="patients in the import benchmark")
    ap.add_argument("--quick", action="store_true", help="small sizes, to check the benchmark itself runs")
    args = ap.parse_args()
    if args.quick:
        args.sizes, args.batch_practices, args.batch_patients, args.import_patients = "2000", 3, 1000, 5000
    args.work.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]

    lines = [
        "# pain_finder benchmark results",
        "",
        f"Run {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} on {platform.node() or 'this machine'}: "
        f"{os.cpu_count()} cores, Python {platform.python_version()}. Every figure comes from this one run; "
        "ratios compare jobs timed minutes apart on the same machine, which is what to track across changes.",
        "",
    ]
    results: dict = {"cores": os.cpu_count(), "python": platform.python_version()}
    print("search:", flush=True)
    bench_search(args.work, sizes, lines, results)
    print("batch:", flush=True)
    bench_batch(args.work, args.batch_practices, args.batch_patients, lines, results)
    print("import:", flush=True)
    bench_importer(args.work, args.import_patients, lines, results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    args.out.with_suffix(".json").write_text(
        json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    print(f"wrote {args.out} and {args.out.with_suffix('.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
