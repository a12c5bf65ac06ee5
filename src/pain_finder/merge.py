"""Combining count summaries across practices into network totals that say honestly what suppression hides.

    merge_summaries(summaries, *, allow_mixed=False, keep=None, policy=None, sources=None) -> NetworkSummary
    merge_summary_files(paths, *, allow_mixed=False, keep=None, policy=None) -> NetworkSummary
    merge_exact(exacts, *, as_of, fingerprint, definition, description, policy, software_version) ->
    NetworkSummary write_network(network, out_dir) -> dict[str, Path]

Both merges check their inputs (same search definition, each practice once) and then go through one function,
`combine`. For each count it adds the practices' cells:

- when every practice's exact count is known (`merge_exact`, inside a trusted batch run) the exact total is
  put through disclosure control once, with secondary suppression, like a single practice's summary;
- otherwise (shared `summary.json` files) the truth of each practice's cell lies in its published range (a
  suppressed cell in 1..threshold, a rounded one within the rounding interval, 0 exactly), so the network
  total lies in [sum of lower bounds, sum of upper bounds]. The estimate is the sum of the published values,
  with each suppressed cell counted at the middle of its range; the estimate then goes through disclosure
  control again (suppressed when 1..threshold, else rounded). The range is published as is: it only adds
  ranges that were already published, so it can reveal nothing new.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pain_finder.counts import ExactCounts
from pain_finder.disclosure import MODE_NONE, MODE_STANDARD, Cell, DisclosurePolicy, publish_estimate
from pain_finder.errors import ConfigError, MergeRefusedError
from pain_finder.summary import (
    CountSummary,
    SummaryCounts,
    build_summary,
    counts_from_flat,
    exact_flat,
    protect_network,
    read_summary,
)

NETWORK_SCHEMA_VERSION = 1
NETWORK_KIND = "pain_finder.network_summary"
TOTAL_ROW = "network_total"
MIXED = "mixed"
METHOD_MERGED = "merged_summaries"
METHOD_EXACT = "exact_then_suppressed"


class NetworkDefinition(BaseModel):
    """One search definition among the merged summaries (more than one only with --allow-mixed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fingerprint: str
    description: str
    definition: dict[str, Any]
    code_lists: dict[str, str] = Field(default_factory=dict)
    practices: list[str]


class NetworkPractice(BaseModel):
    """One practice's row: its own published cells, exactly as shared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    practice_id: str
    as_of: dt.date
    fingerprint: str
    source: str = Field(description="the summary file it was read from, or 'batch'")
    policy: DisclosurePolicy
    counts: SummaryCounts


class NetworkSummary(BaseModel):
    """`network_summary.json`: every practice's published counts and the network totals with their ranges."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: Literal[1] = NETWORK_SCHEMA_VERSION
    kind: Literal["pain_finder.network_summary"] = NETWORK_KIND
    method: Literal["merged_summaries", "exact_then_suppressed"] = Field(
        description="merged_summaries: totals of shared (protected) summaries, reported as ranges; "
        "exact_then_suppressed: exact counts added inside a trusted run, then protected once"
    )
    mixed: bool = Field(
        description="true when summaries from different search definitions were added (--allow-mixed)"
    )
    fingerprint: str = Field(description="the common definition fingerprint, or 'mixed'")
    definitions: list[NetworkDefinition]
    policy: DisclosurePolicy = Field(description="disclosure control applied to the network totals")
    software_version: str
    as_of_earliest: dt.date
    as_of_latest: dt.date
    practices: list[NetworkPractice] = Field(description="one entry per practice, ordered by practice ID")
    total: SummaryCounts = Field(
        description="network totals: published value (estimate) and the range of the truth"
    )
    left_out: list[str] = Field(
        default_factory=list, description="counts not added because some practices' summaries lack them"
    )

    def total_cells(self) -> dict[str, Cell]:
        return self.total.flat()


@dataclass(frozen=True)
class _Entry:
    summary: CountSummary
    source: str
    exact: dict[str, int] | None = None


# ---- checks
# ----------------------------------------------------------------------------------------------------


def _flatten(obj: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(obj, dict):
        flat: dict[str, str] = {}
        for key in sorted(obj):
            flat.update(_flatten(obj[key], f"{prefix}{key}."))
        return flat
    return {prefix[:-1]: json.dumps(obj, sort_keys=True)}


def _names(ids: Sequence[str]) -> str:
    return ", ".join(ids)


def describe_differences(summaries: Sequence[CountSummary]) -> list[str]:
    """What differs between the definitions of summaries with different fingerprints, one line per
    difference."""
    groups: dict[str, list[CountSummary]] = {}
    for s in summaries:
        groups.setdefault(s.fingerprint, []).append(s)
    if len(groups) < 2:
        return []
    reps = {fp: members[0] for fp, members in groups.items()}
    who = {fp: _names(sorted(m.practice_id for m in members)) for fp, members in groups.items()}
    lines: list[str] = []
    flats = {fp: _flatten(rep.definition) for fp, rep in reps.items()}
    for key in sorted(set().union(*flats.values())):
        shown = {fp: flats[fp].get(key, "(not set)") for fp in reps}
        if len(set(shown.values())) > 1:
            lines.append(f"setting {key}: " + " vs ".join(f"{shown[fp]} ({who[fp]})" for fp in reps))
    lists = {fp: rep.code_lists for fp, rep in reps.items()}
    for name in sorted(set().union(*lists.values())):
        hashes = {fp: lists[fp].get(name, "(not used)") for fp in reps}
        if len(set(hashes.values())) > 1:
            lines.append(
                f"code list {name} differs: " + " vs ".join(f"{hashes[fp][:12]} ({who[fp]})" for fp in reps)
            )
    if not lines:
        lines.append(
            "the settings recorded in the summaries are the same, so the code lists or software differ"
        )
    return lines


def _check_definitions(entries: Sequence[_Entry], allow_mixed: bool) -> None:
    fingerprints: dict[str, list[str]] = {}
    for e in entries:
        fingerprints.setdefault(e.summary.fingerprint, []).append(e.summary.practice_id)
    if len(fingerprints) > 1 and not allow_mixed:
        groups = "; ".join(
            f"fingerprint {fp}: {_names(sorted(ids))}" for fp, ids in sorted(fingerprints.items())
        )
        diffs = "; ".join(describe_differences([e.summary for e in entries]))
        raise MergeRefusedError(
            f"cannot merge: the summaries come from different search definitions ({groups}). What differs: "
            f"{diffs}. Rerun the searches with the same definition and code lists, or pass --allow-mixed to "
            "add them anyway (the outputs are then marked as mixed)."
        )


def _same_source(source: str, wanted: str) -> bool:
    if source == wanted:
        return True
    try:
        return Path(source).resolve() == Path(wanted).resolve()
    except OSError:
        return False


def _dedupe(entries: Sequence[_Entry], keep: Mapping[str, str] | None) -> list[_Entry]:
    keep = dict(keep or {})
    by_practice: dict[str, list[_Entry]] = {}
    for e in entries:
        by_practice.setdefault(e.summary.practice_id, []).append(e)
    for practice in sorted(keep):
        if practice not in by_practice:
            raise ConfigError(f"--keep {practice}=...: no summary of practice {practice} was given")
        if not any(_same_source(e.source, keep[practice]) for e in by_practice[practice]):
            files = _names([e.source for e in by_practice[practice]])
            raise ConfigError(
                f"--keep {practice}={keep[practice]}: that file is not among practice {practice}'s summaries "
                f"({files})"
            )
    chosen: list[_Entry] = []
    for practice in sorted(by_practice):
        group = by_practice[practice]
        if len(group) == 1:
            chosen.append(group[0])
        elif practice in keep:
            chosen.append(next(e for e in group if _same_source(e.source, keep[practice])))
        else:
            raise MergeRefusedError(
                f"cannot merge: practice {practice} appears {len(group)} times "
                f"({_names([e.source for e in group])})."
                f" Pass --keep {practice}=FILE to say which summary to use."
            )
    return chosen


def _network_policy(entries: Sequence[_Entry], policy: DisclosurePolicy | None) -> DisclosurePolicy:
    if policy is not None:
        return policy
    policies = {e.summary.policy for e in entries}
    if len(policies) == 1:
        return policies.pop()
    # practices protected differently: use the strictest for the totals
    standard = [p for p in policies if p.mode == MODE_STANDARD]
    if not standard:
        return DisclosurePolicy(mode=MODE_NONE)
    return DisclosurePolicy(
        threshold=max(p.threshold for p in standard), rounding_base=max(p.rounding_base for p in standard)
    )


# ---- the one combining path
# --------------------------------------------------------------------------------------


def _point(cell: Cell) -> float:
    """The best single guess of a cell's truth: its published value, or the middle of its range when
    suppressed."""
    if cell.value is None:
        return (cell.lower + cell.upper) / 2
    return min(max(cell.value, cell.lower), cell.upper)


def combine(
    entries: Sequence[_Entry],
    *,
    policy: DisclosurePolicy | None,
    allow_mixed: bool,
    software_version: str,
) -> NetworkSummary:
    """Add the practices' cells into network totals (see the module docstring); inputs already checked."""
    if not entries:
        raise ConfigError("no summaries to merge")
    entries = sorted(entries, key=lambda e: e.summary.practice_id)
    net_policy = _network_policy(entries, policy)
    flats = [e.summary.counts.flat() for e in entries]
    names = [n for n in flats[0] if all(n in f for f in flats[1:])]
    left_out = sorted({n for f in flats for n in f} - set(names))
    first = entries[0].summary
    labels = {a.key: a.label for a in first.counts.attrition}

    if all(e.exact is not None for e in entries):
        method = METHOD_EXACT
        totals = {n: sum(e.exact[n] for e in entries if e.exact is not None) for n in names}
        practice_cells = {
            e.summary.practice_id: (e.exact or {}, f) for e, f in zip(entries, flats, strict=True)
        }
        cells = protect_network(totals, practice_cells, net_policy)
    else:
        method = METHOD_MERGED
        cells = {}
        for n in names:
            lower = sum(f[n].lower for f in flats)
            upper = sum(f[n].upper for f in flats)
            estimate = int(sum(_point(f[n]) for f in flats) + 0.5)  # halves up
            cells[n] = publish_estimate(min(max(estimate, lower), upper), lower, upper, net_policy)

    by_fp: dict[str, list[_Entry]] = {}
    for e in entries:
        by_fp.setdefault(e.summary.fingerprint, []).append(e)
    definitions = [
        NetworkDefinition(
            fingerprint=fp,
            description=group[0].summary.description,
            definition=group[0].summary.definition,
            code_lists=group[0].summary.code_lists,
            practices=[e.summary.practice_id for e in group],
        )
        for fp, group in sorted(by_fp.items())
    ]
    mixed = len(by_fp) > 1
    return NetworkSummary(
        method=method,
        mixed=mixed,
        fingerprint=MIXED if mixed else first.fingerprint,
        definitions=definitions,
        policy=net_policy,
        software_version=software_version,
        as_of_earliest=min(e.summary.as_of for e in entries),
        as_of_latest=max(e.summary.as_of for e in entries),
        practices=[
            NetworkPractice(
                practice_id=e.summary.practice_id,
                as_of=e.summary.as_of,
                fingerprint=e.summary.fingerprint,
                source=e.source,
                policy=e.summary.policy,
                counts=e.summary.counts,
            )
            for e in entries
        ],
        total=counts_from_flat(cells, labels),
        left_out=left_out,
    )


# ---- entry points
# ------------------------------------------------------------------------------------------------


def merge_summaries(
    summaries: Sequence[CountSummary],
    *,
    allow_mixed: bool = False,
    keep: Mapping[str, str] | None = None,
    policy: DisclosurePolicy | None = None,
    sources: Sequence[str] | None = None,
    software_version: str | None = None,
) -> NetworkSummary:
    """Merge shared summaries. `sources` name where each came from (for messages and --keep); `keep` maps a
    practice that appears more than once to the source to use. Raises MergeRefusedError (exit 6)."""
    from pain_finder import __version__

    if not summaries:
        raise ConfigError("no summaries to merge")
    if sources is None:
        sources = [f"summary {i + 1}" for i in range(len(summaries))]
    entries = [_Entry(summary=s, source=str(src)) for s, src in zip(summaries, sources, strict=True)]
    _check_definitions(entries, allow_mixed)
    entries = _dedupe(entries, keep)
    return combine(
        entries, policy=policy, allow_mixed=allow_mixed, software_version=software_version or __version__
    )


def merge_summary_files(
    paths: Sequence[Path],
    *,
    allow_mixed: bool = False,
    keep: Mapping[str, str] | None = None,
    policy: DisclosurePolicy | None = None,
) -> NetworkSummary:
    """Read each `summary.json` (InputError when one is invalid) and merge them."""
    summaries = [read_summary(Path(p)) for p in paths]
    return merge_summaries(
        summaries, allow_mixed=allow_mixed, keep=keep, policy=policy, sources=[str(p) for p in paths]
    )


def merge_exact(
    exacts: Sequence[ExactCounts],
    *,
    as_of: dt.date,
    fingerprint: str,
    definition: dict,
    description: str,
    policy: DisclosurePolicy,
    software_version: str,
    code_lists: Mapping[str, str] | None = None,
) -> NetworkSummary:
    """Trusted batch merge: add the practices' exact counts first, protect the totals once at the end.

    Each practice's row is still its own protected summary (what it would have shared)."""
    if not exacts:
        raise ConfigError("no practices to merge")
    entries = []
    for exact in exacts:
        summary = build_summary(
            exact,
            as_of=as_of,
            fingerprint=fingerprint,
            definition=definition,
            description=description,
            policy=policy,
            software_version=software_version,
            code_lists=code_lists,
        )
        entries.append(_Entry(summary=summary, source="batch", exact=exact_flat(exact)[0]))
    entries = _dedupe(entries, None)
    return combine(entries, policy=policy, allow_mixed=False, software_version=software_version)


def write_network(network: NetworkSummary, out_dir: Path) -> dict[str, Path]:
    """Write network.csv, network.xlsx, network_summary.json, report.html and the chart PNGs (each
    atomically)."""
    from pain_finder.report import write_report  # noqa: PLC0415 - matplotlib is only imported when writing

    return write_report(network, Path(out_dir))
