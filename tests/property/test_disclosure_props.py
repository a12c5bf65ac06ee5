"""Property tests (hypothesis) of disclosure control and the merge.

- no published cell is in 1..threshold, and the truth always lies in a cell's published range;
- a subtraction attack on one summary's published cells recovers no suppressed value: an attacker who knows
  how the counts relate (attrition steps are nested totals, each breakdown adds up to the candidates, a flag
  count is at most the candidates, the people removed at a step are at most the count removed for that reason)
  solves every relation for every suppressed cell, over and over, and still cannot pin any of them to one
  value;
- the true network total always lies inside the merged range; the merge does not depend on input order;
- summaries from different definitions are refused;
- policy mode "none" (trusted use): every cell, and every network total, is the exact count: nothing
  suppressed or rounded, its range collapsed to the value, whatever threshold and base the policy also names.

The attacker here is written independently of disclosure.py (which runs its own audit) so a bug in one shows.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pain_finder.counts import (
    AGE_BANDS,
    EXCLUSION_REASONS,
    REVIEW_FLAGS,
    SEXES,
    SIGNAL_COMBINATIONS,
    AttritionStep,
    ExactCounts,
)
from pain_finder.disclosure import Cell, DisclosurePolicy, Sum, protect, protect_value
from pain_finder.errors import MergeRefusedError
from pain_finder.merge import merge_exact, merge_summaries
from pain_finder.summary import build_summary, canonical_json, exact_flat
from tests.disclosure_oracle import published_as

AS_OF = dt.date(2026, 9, 30)
INF = 10**9
PROPS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
pytestmark = pytest.mark.slow  # about a minute in all: hypothesis runs each property on hundreds of cases

# mode "none" ignores threshold and base: drawing them too checks that they really are ignored
none_policies = st.builds(
    DisclosurePolicy,
    mode=st.just("none"),
    threshold=st.integers(0, 10).filter(lambda t: t != 1),
    rounding_base=st.integers(1, 10),
)
policies = st.one_of(
    st.just(DisclosurePolicy()),
    st.builds(
        DisclosurePolicy,
        threshold=st.integers(0, 10).filter(lambda t: t != 1),
        rounding_base=st.integers(1, 10),
    ),
    none_policies,
)


@st.composite
def practice_counts(draw, practice_id: str | None = None, small: bool | None = None):
    """Consistent exact counts, often with small numbers (the interesting case for disclosure)."""
    small = draw(st.booleans()) if small is None else small
    top = 60 if small else 4000
    registered = draw(st.integers(0, top))
    steps = [registered]
    for fraction_max in (1.0, 0.5, 1.0):
        steps.append(draw(st.integers(0, int(steps[-1] * fraction_max))))
    removed = {}
    for _reason in EXCLUSION_REASONS:
        taken = draw(st.integers(0, min(steps[-1], 12)))
        steps.append(steps[-1] - taken)
        removed[_reason] = taken + draw(st.integers(0, 3))
    cand = steps[-1]

    def split(names):
        cuts = sorted(draw(st.lists(st.integers(0, cand), min_size=len(names) - 1, max_size=len(names) - 1)))
        edges = [0, *cuts, cand]
        return {name: edges[i + 1] - edges[i] for i, name in enumerate(names)}

    keys = ["registered", "working_age", "chronic_pain", "signal", *(f"after_{r}" for r in EXCLUSION_REASONS)]
    return ExactCounts(
        practice_id=practice_id or draw(st.from_regex(r"[A-Z][0-9]{5}", fullmatch=True)),
        attrition=[
            *(AttritionStep(key=k, label=k, count=c) for k, c in zip(keys, steps, strict=True)),
            AttritionStep(key="candidates", label="candidates", count=cand),
        ],
        removed_by_reason=removed,
        flagged_by_flag={f: draw(st.integers(0, cand)) for f in REVIEW_FLAGS},
        candidates_by_age_band=split([b for b, _, _ in AGE_BANDS]),
        candidates_by_sex=split(list(SEXES)),
        candidates_by_signal=split(list(SIGNAL_COMBINATIONS)),
    )


def summarise(exact, policy, fingerprint="f" * 16, definition=None):
    return build_summary(
        exact,
        as_of=AS_OF,
        fingerprint=fingerprint,
        definition=definition or {"population": {"min_age": 18}},
        description="test definition",
        policy=policy,
        software_version="0.1.0",
    )


# ---- primary control
# ----------------------------------------------------------------------------------------------


def _merge_exact(exacts, policy):
    """The batch's merge: exact counts added, then protected once."""
    return merge_exact(
        exacts,
        as_of=AS_OF,
        fingerprint="f" * 16,
        definition={},
        description="d",
        policy=policy,
        software_version="0.1.0",
    )


@PROPS
@given(exact=practice_counts(), policy=policies)
def test_no_small_number_is_published_and_the_truth_is_in_range(exact, policy):
    cells = summarise(exact, policy).counts.flat()
    truth, _ = exact_flat(exact)
    for name, cell in cells.items():
        if policy.mode == "standard" and cell.value is not None:
            assert not 1 <= cell.value <= policy.threshold, (name, cell)
        assert cell.lower <= truth[name] <= cell.upper, (name, truth[name], cell)
        if cell.value is not None and not cell.rounded:
            assert cell.value == truth[name]


@PROPS
@given(exact=practice_counts(), policy=none_policies)
def test_mode_none_publishes_every_count_exactly(exact, policy):
    assert policy.exact
    summary = summarise(exact, policy)
    assert summary.policy.mode == "none"
    cells = summary.counts.flat()
    truth, _ = exact_flat(exact)
    assert set(cells) == set(truth)
    for name, cell in cells.items():
        # no suppression, no rounding, no secondary suppression; the range collapses to the published value
        true = truth[name]
        assert cell == Cell(value=true, lower=true, upper=true), (name, true, cell)
        assert cell.exact and cell.display() == str(true)


@PROPS
@given(
    values=st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 30), min_size=1),
    policy=none_policies,
)
def test_mode_none_protect_is_the_identity_even_where_standard_would_suppress(values, policy):
    """Small counts, and a total = sum of parts relation under which standard mode suppresses and adds
    secondary suppressions: mode "none" still publishes every value as it is."""
    names = list(values)
    sums = [Sum(names[0], tuple(names[1:]))] if len(names) > 1 else []
    if sums:
        values = {**values, names[0]: sum(values[n] for n in names[1:])}  # make the relation true
    cells = protect(values, policy, sums)
    assert list(cells) == names
    assert cells == {n: Cell(value=v, lower=v, upper=v) for n, v in values.items()}
    for v in values.values():
        assert protect_value(v, policy) == Cell(value=v, lower=v, upper=v)
    if any(1 <= v <= DisclosurePolicy().threshold for v in values.values()):  # the same counts, standard mode
        assert any(c.suppressed for c in protect(values, DisclosurePolicy(), sums).values())


# ---- the subtraction attack
# ----------------------------------------------------------------------------------------


def attacker_relations(truth: dict[str, int]) -> tuple[list[tuple[str, list[str]]], list[tuple[str, str]]]:
    """What a reader knows about how the counts relate, checked on the true values (a relation that is false
    is no help to anyone). `~` names are never published."""
    equal: list[tuple[str, list[str]]] = []
    at_most: list[tuple[str, str]] = []
    every_step = [
        "registered",
        "working_age",
        "chronic_pain",
        "signal",
        *(f"after_{r}" for r in EXCLUSION_REASONS),
        "candidates",
    ]
    steps = [k for k in every_step if k in truth]
    for a, b in itertools.pairwise(steps):
        equal.append((a, [b, f"~gap_{b}"]))
        if b.startswith("after_"):
            reason = b.removeprefix("after_")
            if truth[a] - truth[b] <= truth.get(f"removed_{reason}", -1):
                at_most.append((f"~gap_{b}", f"removed_{reason}"))
    for prefix in ("age_", "sex_", "signal_"):
        parts = [n for n in truth if n.startswith(prefix) and n not in steps]
        if sum(truth[p] for p in parts) == truth["candidates"]:
            equal.append(("candidates", parts))
    at_most += [(n, "candidates") for n in truth if n.startswith("flagged_")]
    return equal, at_most


def what_the_cells_say(cells, policy) -> dict[str, list[int]]:
    """Each published cell's possible values, from its published form alone."""
    b = policy.rounding_base
    known = {}
    for name, cell in cells.items():
        if cell.value is None:
            low, high = (1, INF) if cell.secondary else (1, policy.threshold)
        elif policy.exact or cell.value == 0 and not cell.rounded:
            low = high = cell.value
        else:  # every whole number above the threshold that is published as this value (see docs/counts.md)
            # published_as is tests/disclosure_oracle.py's own statement of the rule, not disclosure.py's

            def shown(v: int) -> int | None:
                return published_as(v, policy.threshold, b)  # noqa: B023

            low = policy.threshold + 1
            while shown(low) != cell.value:
                low += 1
            high = low
            while shown(high + 1) == cell.value:
                high += 1
        known[name] = [max(low, cell.lower), min(high, cell.upper)]  # the published range too
    return known


def attack(cells, policy, truth, relations=None) -> dict[str, list[int]]:
    """Solve each relation for each cell, repeatedly, narrowing what every cell can be."""
    equal, at_most = relations or attacker_relations(truth)
    box = what_the_cells_say(cells, policy)
    for total, parts in equal:
        for n in [total, *parts]:
            box.setdefault(n, [0, INF])
    for small, big in at_most:
        box.setdefault(small, [0, INF])
        box.setdefault(big, [0, INF])
    for _ in range(1000):
        before = {k: tuple(v) for k, v in box.items()}
        for total, parts in equal:
            box[total][0] = max(box[total][0], sum(box[p][0] for p in parts))
            box[total][1] = min(box[total][1], sum(min(box[p][1], INF) for p in parts))
            for p in parts:
                others_low = sum(box[q][0] for q in parts if q != p)
                others_high = sum(min(box[q][1], INF) for q in parts if q != p)
                box[p][0] = max(box[p][0], box[total][0] - others_high)
                box[p][1] = min(box[p][1], box[total][1] - others_low)
        for small, big in at_most:
            box[small][1] = min(box[small][1], box[big][1])
            box[big][0] = max(box[big][0], box[small][0])
        if {k: tuple(v) for k, v in box.items()} == before:
            break
    return box


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exact=practice_counts(), policy=policies)
def test_subtraction_attack_recovers_no_suppressed_value(exact, policy):
    cells = summarise(exact, policy).counts.flat()
    truth, _ = exact_flat(exact)
    box = attack(cells, policy, truth)
    for name, cell in cells.items():
        low, high = box[name]
        assert low <= truth[name] <= high, (name, truth[name], box[name])  # the attacker model is sound
        if cell.suppressed:
            assert low < high, f"{name} pinned to {low} (truth {truth[name]}) by the published cells"


def test_attack_would_find_an_unprotected_summary():
    """The attacker is not toothless: with secondary suppression switched off it pins a suppressed cell."""
    from pain_finder.disclosure import protect_value

    exact = ExactCounts(
        practice_id="A81001",
        attrition=[
            AttritionStep(key=k, label=k, count=c)
            for k, c in [
                ("registered", 500),
                ("working_age", 300),
                ("chronic_pain", 60),
                ("signal", 50),
                ("candidates", 50),
            ]
        ],
        removed_by_reason={},
        flagged_by_flag={},
        candidates_by_age_band={"30-39": 50},
        candidates_by_sex={"female": 47, "male": 3},
        candidates_by_signal={"opioid_only": 50},
    )
    policy = DisclosurePolicy(rounding_base=1)
    truth, _ = exact_flat(exact)
    primary_only = {n: protect_value(v, policy) for n, v in truth.items()}
    assert attack(primary_only, policy, truth)["sex_male"] == [3, 3]
    protected = summarise(exact, policy).counts.flat()
    assert protected["sex_female"].secondary
    assert attack(protected, policy, truth)["sex_male"][0] < attack(protected, policy, truth)["sex_male"][1]


# ---- the merge
# -------------------------------------------------------------------------------------------------------


@st.composite
def network(draw, min_size=1, max_size=6):
    n = draw(st.integers(min_size, max_size))
    return [draw(practice_counts(practice_id=f"P{i:03d}")) for i in range(n)]


@PROPS
@given(exacts=network(), policy=policies)
def test_true_network_total_lies_in_the_merged_range(exacts, policy):
    merged = merge_summaries([summarise(e, policy) for e in exacts]).total_cells()
    truths = [exact_flat(e)[0] for e in exacts]
    for name, cell in merged.items():
        true_total = sum(t[name] for t in truths)
        assert cell.lower <= true_total <= cell.upper, (name, true_total, cell)
        if policy.mode == "standard" and cell.value is not None:
            assert not 1 <= cell.value <= policy.threshold, (name, cell)


@PROPS
@given(exacts=network(), policy=none_policies)
def test_mode_none_network_totals_are_the_exact_sums(exacts, policy):
    truths = [exact_flat(e)[0] for e in exacts]
    merged = merge_summaries([summarise(e, policy) for e in exacts])
    assert merged.policy.mode == "none"
    batch = _merge_exact(exacts, policy)
    for network_cells in (merged.total_cells(), batch.total_cells()):
        for name, cell in network_cells.items():
            total = sum(t[name] for t in truths)
            assert cell == Cell(value=total, lower=total, upper=total), (name, total, cell)


@PROPS
@given(exacts=network(), policy=policies)
def test_exact_then_suppress_total_is_protected_and_in_range(exacts, policy):
    merged = _merge_exact(exacts, policy).total_cells()
    truths = [exact_flat(e)[0] for e in exacts]
    for name, cell in merged.items():
        true_total = sum(t[name] for t in truths)
        assert cell.lower <= true_total <= cell.upper, (name, true_total, cell)
        if policy.mode == "standard" and cell.value is not None:
            assert not 1 <= cell.value <= policy.threshold, (name, cell)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exacts=network(min_size=2), policy=policies, data=st.data())
def test_merge_does_not_depend_on_input_order(exacts, policy, data):
    summaries = [summarise(e, policy) for e in exacts]
    order = data.draw(st.permutations(range(len(summaries))))
    first = merge_summaries(summaries, sources=[f"s{i}" for i in range(len(summaries))])
    second = merge_summaries([summaries[i] for i in order], sources=[f"s{i}" for i in order])
    assert canonical_json(first) == canonical_json(second)
    assert canonical_json(_merge_exact(exacts, policy)) == canonical_json(
        _merge_exact([exacts[i] for i in order], policy)
    )


setting_names = st.sampled_from(
    ["population.min_age", "chronic_pain.lookback_months", "signal.min_fit_notes"]
)


@PROPS
@given(
    exacts=network(min_size=2, max_size=4),
    key=setting_names,
    values=st.lists(st.integers(1, 99), min_size=2, max_size=2, unique=True),
)
def test_mismatched_definitions_are_refused(exacts, key, values):
    section, field = key.split(".")
    summaries = [
        summarise(
            e,
            DisclosurePolicy(),
            fingerprint=f"{i:016d}" if i else "0" * 16,
            definition={section: {field: values[min(i, 1)]}},
        )
        for i, e in enumerate(exacts)
    ]
    assume(len({s.fingerprint for s in summaries}) > 1)
    with pytest.raises(MergeRefusedError) as err:
        merge_summaries(summaries)
    message = str(err.value)
    assert f"setting {key}: {values[0]} (P000) vs {values[1]} (" in message, message
    assert all(s.practice_id in message for s in summaries)
    merged = merge_summaries(summaries, allow_mixed=True)
    assert merged.mixed and merged.fingerprint == "mixed"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(exacts=network(min_size=2, max_size=4), policy=policies)
def test_subtraction_attack_on_a_batch_network_table(exacts, policy):
    """network.csv of a trusted batch shows each practice's protected row beside the exact-then-protected
    total: total = sum of the practices is one more relation, and it must not pin any suppressed cell
    either."""
    network = _merge_exact(exacts, policy)
    cells, truth, equal, at_most = {}, {}, [], []
    rows = {e.practice_id: exact_flat(e)[0] for e in exacts}
    rows["total"] = {n: sum(r[n] for r in rows.values()) for n in next(iter(rows.values()))}
    published = {p.practice_id: p.counts.flat() for p in network.practices} | {"total": network.total_cells()}
    for row, values in rows.items():
        row_equal, row_at_most = attacker_relations(values)
        equal += [(f"{row}/{t}", [f"{row}/{p}" for p in parts]) for t, parts in row_equal]
        at_most += [(f"{row}/{a}", f"{row}/{b}") for a, b in row_at_most]
        for name, value in values.items():
            truth[f"{row}/{name}"] = value
            cells[f"{row}/{name}"] = published[row][name]
    equal += [(f"total/{n}", [f"{p.practice_id}/{n}" for p in network.practices]) for n in rows["total"]]
    box = attack(cells, policy, truth, (equal, at_most))
    for name, cell in cells.items():
        low, high = box[name]
        assert low <= truth[name] <= high, (name, truth[name], box[name])
        if cell.suppressed:
            assert low < high, f"{name} pinned to {low} by the published table"
