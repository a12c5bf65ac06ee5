"""The network summary of a batch: the practices' exact counts added inside the trusted run, suppressed once.

Every practice with a current output (searched now, or skipped as up to date) contributes the exact counts
kept in its `state/<practice>.json`. They are merged with `merge.merge_exact` (the same code as `pain-finder
merge`, but adding exact counts before disclosure control, which loses far less) and written by
`merge.write_network` into a staging folder swapped in whole as `network/`. `state/network.json` records what
it was built from, so an unchanged network is not rewritten.
"""

from __future__ import annotations

import json
import shutil

from pain_finder import __version__
from pain_finder.batch.config import LoadedBatchConfig
from pain_finder.batch.log import Display, EventLog
from pain_finder.batch.state import (
    NETWORK_DIR,
    STATE_DIR,
    NetworkState,
    NetworkStatus,
    PracticeState,
    PracticeStatus,
    install,
    read_network_state,
    read_state,
    staging_folder,
    write_model,
)
from pain_finder.errors import ConfigError, PainFinderError


def build_network(
    loaded: LoadedBatchConfig, practices: list[PracticeStatus], log: EventLog, display: Display
) -> NetworkStatus:
    """Merge the exact counts of every practice with a current output, suppress once, write network/."""
    cfg = loaded.batch
    root = cfg.output_root
    target = root / NETWORK_DIR
    states: list[PracticeState] = []
    for p in practices:
        if p.status in ("ok", "skipped") and (state := read_state(root, p.practice_key)) is not None:
            states.append(state)
    if not states:
        log.event("network_not_written", reason="no practice has a current output")
        return NetworkStatus(status="not_written")
    policy = json.loads(cfg.disclosure.model_dump_json())
    wanted = NetworkState(practices={s.practice_key: s.key.digest() for s in states}, policy=policy)
    if read_network_state(root) == wanted and target.is_dir():
        return NetworkStatus(status="up_to_date", output=str(target), practices=len(states))
    try:
        fingerprints = sorted({s.fingerprint for s in states})
        if len(fingerprints) > 1:
            raise ConfigError(
                "the practices' outputs come from different search definitions (fingerprints "
                f"{', '.join(fingerprints)}); rerun with --force"
            )
        by_id: dict[str, list[str]] = {}
        for s in states:
            by_id.setdefault(s.practice_id, []).append(s.practice_key)
        if twice := {pid: keys for pid, keys in by_id.items() if len(keys) > 1}:
            pid, keys = sorted(twice.items())[0]
            raise ConfigError(
                f"practice {pid} appears in several extracts ({', '.join(keys)}); the network summary "
                "counts each practice once: keep one extract per practice in the batch"
            )
        from pain_finder.merge import merge_exact, write_network  # noqa: PLC0415

        as_of = cfg.as_of.date if cfg.as_of.rule == "fixed" else max(s.key.as_of for s in states)
        descriptions = sorted({s.summary_description for s in states if s.summary_description})
        network = merge_exact(
            [s.exact_counts for s in sorted(states, key=lambda s: s.practice_key)],
            as_of=as_of,
            fingerprint=fingerprints[0],
            definition=loaded.search.definition_dict(),
            description=descriptions[0] if descriptions else "",
            policy=cfg.disclosure,
            software_version=__version__,
            code_lists=states[0].key.code_lists,
        )
        staged = staging_folder(root, NETWORK_DIR)
        try:
            write_network(network, staged)
            (root / STATE_DIR / "network.json").unlink(missing_ok=True)
            install(staged, target)
        finally:
            shutil.rmtree(staged, ignore_errors=True)
        write_model(root / STATE_DIR / "network.json", wanted)
    except PainFinderError as exc:
        log.event("network_failed", error_type=type(exc).__name__, error=exc.message)
        display.message(f"network summary: FAILED: {exc.message}")
        return NetworkStatus(status="failed", error=exc.message, practices=len(states))
    except Exception as exc:  # a bug: type only (see worker.py)
        error = f"unexpected error {type(exc).__name__} (a bug in pain-finder: please report it)"
        log.event("network_failed", error_type=type(exc).__name__, error=error)
        display.message(f"network summary: FAILED: {error}")
        return NetworkStatus(status="failed", error=error, practices=len(states))
    log.event("network_written", practices=len(states), output=str(target))
    display.message(f"network summary of {len(states)} practices: {target}")
    return NetworkStatus(status="written", output=str(target), practices=len(states))
