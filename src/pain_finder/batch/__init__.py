"""`pain-finder batch`: search many practice extracts unattended, with one status file, one log and one
network summary per run. See docs/batch.md.

    from pain_finder.batch import load_batch_config, run_batch
    report = run_batch(load_batch_config(Path("batch.toml")))
    report.exit_code   # 0 ok, 7 some practices failed, 8 nothing to do (see errors.py)

Modules: config (the TOML file), lock (one run per output root), state (skip/recover/install, status models),
worker (one practice in its own process), runner (the run), log (JSON-lines log and progress display).
"""

from pain_finder.batch.config import BatchConfig, LoadedBatchConfig, load_batch_config, parse_batch_config
from pain_finder.batch.runner import BatchReport, find_practices, plan_batch, run_batch

__all__ = [
    "BatchConfig",
    "BatchReport",
    "LoadedBatchConfig",
    "find_practices",
    "load_batch_config",
    "parse_batch_config",
    "plan_batch",
    "run_batch",
]
