"""Small-number suppression and rounding: the only way a count leaves the practice.

Every count written for sharing (`summary.json`, the network outputs) is a `Cell` made here. The default
policy follows NHS England's published statistics and OpenSAFELY's output checking:

- a count of 0 is published as 0 (exactly);
- a count from 1 to `threshold` (default 7) is *suppressed*: no value is published, only that it lies in 1..7;
- every other count is *rounded* to the nearest multiple of `rounding_base` (default 5), halves rounded up.
  With a base of 5 whole numbers never fall on a half: 8 -> 10, 12 -> 10, 13 -> 15, 17 -> 15, 18 -> 20. With
  an even base the halves go up: base 10 gives 15 -> 20, 25 -> 30. A rounded value r of a count above the
  threshold means the truth lies in r - floor(base/2) .. r + ceil(base/2) - 1 (so r - 2 .. r + 2 for base 5),
  and never below threshold + 1. A count that would round down into 0..threshold is published as the first
  multiple of the base above the threshold instead (threshold 9, base 3: 10 would round to 9 and is published
  as 12), so every published number other than 0 is above the threshold, and a published 0 always means
  exactly 0.

*Secondary suppression* (`protect`): a cell whose value could be worked out by subtraction from the other
cells of the same summary is suppressed too. The caller gives the additive relations that hold between cells
(`Sum`: total = sum of parts, parts may include unpublished remainders; `AtMost`: one cell is never larger
than another). Then, repeated until nothing changes:

1. the rule: in every relation where exactly one member is unknown and it is a suppressed cell (an unpublished
   remainder already hides it otherwise), also suppress the smallest other part that is published and not 0
   (the total if no part qualifies);
2. the audit: play the attacker. Start from what the published cells say (0 is 0, a rounded r is within its
   rounding interval, a suppressed cell is in 1..threshold, a secondarily suppressed one is at least 1, an
   unpublished remainder is >= 0), solve every relation for every cell and narrow the intervals until they
   stop changing. A suppressed cell whose interval has narrowed to a single value is *pinned*: suppress the
   smallest published non-zero cell among those nearest to it in the relations (sharing a relation with it,
   else with one of those, and so on), one at a time. If every such cell is suppressed already
   (e.g. seven suppressed parts of a suppressed total of 7 must all be 1), the smallest suppressed total or
   part among them is published as secondary instead, with the wider range the other cells allow rather than
   1..threshold.

Rounding already hides exact values, so with rounding on an exact recovery needs an unusual alignment of the
rounding intervals (e.g. a total rounded down and its parts rounded up, leaving room for only one value of the
missing part); the audit finds exactly those cases. With rounding off (`rounding_base = 1`) the rule does most
of the work. A partner that the other published cells pin anyway hides nothing and is published after all.
`protect(..., published=, audit_sums=)` extends the audit to cells already published elsewhere (a network
total beside each practice's row). Policy `mode = "none"` (trusted environments only) publishes exact counts
and suppresses nothing.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MODE_STANDARD = "standard"
MODE_NONE = "none"
DEFAULT_THRESHOLD = 7  # counts 1..7 are suppressed (NHS England / OpenSAFELY convention)
DEFAULT_ROUNDING_BASE = 5  # other counts are rounded to the nearest 5
UNBOUNDED = math.inf  # upper bound of an unpublished remainder before the relations narrow it
_MAX_PROPAGATION_ROUNDS = 500


class DisclosurePolicy(BaseModel):
    """How counts are protected before they are shared. Recorded in every summary."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["standard", "none"] = Field(
        MODE_STANDARD,
        description="'standard': suppress small counts and round; 'none': exact counts (trusted use only)",
    )
    threshold: int = Field(DEFAULT_THRESHOLD, ge=0, description="counts from 1 to this value are suppressed")
    rounding_base: int = Field(
        DEFAULT_ROUNDING_BASE, ge=1, description="other counts are rounded to the nearest multiple of this"
    )

    @model_validator(mode="after")
    def _meaningful_threshold(self) -> DisclosurePolicy:
        if self.threshold == 1:
            raise ValueError(
                "threshold 1 would reveal every suppressed count (it could only be 1): use 0 (no "
                "suppression) or 2 or more"
            )
        return self

    @property
    def exact(self) -> bool:
        """True when this policy publishes counts unchanged."""
        return self.mode == MODE_NONE or (self.threshold == 0 and self.rounding_base == 1)

    def describe(self) -> str:
        """One plain-English sentence, for reports and notes sheets."""
        if self.mode == MODE_NONE:
            return "No disclosure control: exact counts (for use inside a trusted environment only)."
        parts = []
        if self.threshold > 0:
            parts.append(f"counts from 1 to {self.threshold} are suppressed")
        if self.rounding_base > 1:
            parts.append(f"other counts are rounded to the nearest {self.rounding_base} (halves up)")
        parts.append("0 is shown as 0")
        parts.append("cells that could be worked out by subtraction are suppressed too")
        text = "; ".join(parts)
        return text[0].upper() + text[1:] + "."


class Cell(BaseModel):
    """One published count: the value that may be shared and the range the true count lies in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: int | None = Field(description="the published count; null when suppressed")
    suppressed: bool = Field(
        False, description="no value published (small count, or recoverable by subtraction)"
    )
    secondary: bool = Field(
        False,
        description="suppressed to stop other cells being worked out by subtraction; its range is what the "
        "other published cells allow",
    )
    rounded: bool = Field(False, description="the value was rounded; the truth lies in lower..upper")
    lower: int = Field(ge=0, description="the true count is at least this")
    upper: int = Field(ge=0, description="the true count is at most this")

    @model_validator(mode="after")
    def _consistent(self) -> Cell:
        if self.suppressed != (self.value is None):
            raise ValueError("a cell has no value exactly when it is suppressed")
        if self.secondary and not self.suppressed:
            raise ValueError("a secondarily suppressed cell must be suppressed")
        if self.lower > self.upper:
            raise ValueError("lower bound above upper bound")
        return self

    @property
    def exact(self) -> bool:
        return self.lower == self.upper

    def display(self) -> str:
        """Text for people: the value, or 'suppressed'."""
        return "suppressed" if self.value is None else str(self.value)


def round_half_up(value: int, base: int) -> int:
    """Round a whole number to the nearest multiple of `base`, halves up (base 10: 15 -> 20)."""
    if base <= 1:
        return value
    return (2 * value + base) // (2 * base) * base


def smallest_rounded(policy: DisclosurePolicy) -> int:
    """The smallest value a count above the threshold is published as: the first multiple of the base above
    it.

    A count that would round down into 1..threshold (or to 0) is published as this instead, so a published
    number never looks like a small count and a published 0 always means exactly 0 (base 5, threshold 7: 10).
    """
    return (policy.threshold // policy.rounding_base + 1) * policy.rounding_base


def rounding_interval(published: int, policy: DisclosurePolicy) -> tuple[int, int]:
    """The true counts that give this rounded value under `policy` (never below threshold + 1)."""
    base = policy.rounding_base
    low = published - base // 2
    high = published + (base + 1) // 2 - 1
    if published == smallest_rounded(policy):
        low = policy.threshold + 1
    return max(low, policy.threshold + 1, 0), high


def protect_value(value: int, policy: DisclosurePolicy) -> Cell:
    """Primary disclosure control of one count (no secondary suppression): 0, suppressed, or rounded."""
    if value < 0:
        raise ValueError("counts cannot be negative")
    if policy.exact or value == 0:
        return Cell(value=value, lower=value, upper=value)
    if value <= policy.threshold:
        return Cell(value=None, suppressed=True, lower=1, upper=policy.threshold)
    if policy.rounding_base == 1:
        return Cell(value=value, lower=value, upper=value)
    published = max(round_half_up(value, policy.rounding_base), smallest_rounded(policy))
    low, high = rounding_interval(published, policy)
    return Cell(value=published, rounded=True, lower=low, upper=high)


def publish_estimate(estimate: int, lower: int, upper: int, policy: DisclosurePolicy) -> Cell:
    """A count known only within lower..upper (e.g. a network total of protected cells), with its estimate.

    The value goes through primary control again (suppressed when the estimate is 1..threshold, else rounded);
    the range is kept as computed, since it only combines ranges that were already published.
    """
    primary = protect_value(estimate, policy)
    return Cell(
        value=primary.value,
        suppressed=primary.suppressed,
        rounded=primary.rounded,
        lower=lower,
        upper=upper,
    )


@dataclass(frozen=True)
class Sum:
    """An additive relation between cells: `total` = sum of `parts`.

    Names not among the published values are unpublished quantities (e.g. the people removed between two
    attrition steps, or candidates outside every age band): the attacker only knows they are >= 0.
    """

    total: str
    parts: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        return (self.total, *self.parts)


@dataclass(frozen=True)
class AtMost:
    """`small` <= `big` (e.g. candidates with a review flag <= candidates)."""

    small: str
    big: str


Bounds = dict[str, tuple[float, float]]


def propagate(
    known: Mapping[str, tuple[float, float]], sums: Sequence[Sum], at_most: Sequence[AtMost] = ()
) -> Bounds:
    """Narrow every cell's interval using the relations until nothing changes (interval constraint
    propagation).

    `known` gives each published cell's starting interval; any other name in a relation starts at 0..infinity.
    Returns the narrowed interval of every name. This is what an attacker can work out by subtraction.
    """
    bounds: Bounds = dict(known)
    for rel in sums:
        for name in rel.members:
            bounds.setdefault(name, (0, UNBOUNDED))
    for rel in at_most:
        bounds.setdefault(rel.small, (0, UNBOUNDED))
        bounds.setdefault(rel.big, (0, UNBOUNDED))

    def narrow(name: str, low: float, high: float) -> bool:
        old_low, old_high = bounds[name]
        new = (max(old_low, low), min(old_high, high))
        if new != (old_low, old_high):
            bounds[name] = new
            return True
        return False

    for _ in range(_MAX_PROPAGATION_ROUNDS):
        changed = False
        for rel in sums:
            lows = [bounds[p][0] for p in rel.parts]
            highs = [bounds[p][1] for p in rel.parts]
            sum_low, sum_high = sum(lows), sum(highs)
            changed |= narrow(rel.total, sum_low, sum_high)
            t_low, t_high = bounds[rel.total]
            for i, part in enumerate(rel.parts):
                others_low = sum_low - lows[i]
                others_high = sum_high - highs[i] if highs[i] != UNBOUNDED else _sum_except(highs, i)
                changed |= narrow(part, t_low - others_high, t_high - others_low)
        for rel in at_most:
            changed |= narrow(rel.small, 0, bounds[rel.big][1])
            changed |= narrow(rel.big, bounds[rel.small][0], UNBOUNDED)
        if not changed:
            break
    return bounds


def _sum_except(values: Sequence[float], skip: int) -> float:
    return sum(v for i, v in enumerate(values) if i != skip)


def _knowledge(
    values: Mapping[str, int], policy: DisclosurePolicy, primary: set[str], secondary: set[str]
) -> Bounds:
    """What the published form of each cell tells anyone who reads it."""
    known: Bounds = {}
    for name, value in values.items():
        if name in primary:
            known[name] = (1, policy.threshold)
        elif name in secondary:
            known[name] = (1, UNBOUNDED)  # not 0 (0 is never suppressed); may be small (see `protect`)
        else:
            cell = protect_value(value, policy)
            known[name] = (cell.lower, cell.upper)
    return known


def protect(
    values: Mapping[str, int],
    policy: DisclosurePolicy,
    sums: Sequence[Sum] = (),
    at_most: Sequence[AtMost] = (),
    *,
    order: Iterable[str] | None = None,
    published: Mapping[str, Cell] | None = None,
    audit_sums: Sequence[Sum] = (),
) -> dict[str, Cell]:
    """Disclosure control of a set of related counts: primary suppression, rounding and secondary suppression.

    `values` are the exact counts by name; `sums` and `at_most` the relations that hold between them (only
    give relations that are true of `values`). `order` breaks ties when choosing which cell to suppress
    (default: the order of `values`). Returns a published `Cell` per name, in the order of `values`.

    `published` are cells already published elsewhere that cannot change (e.g. each practice's own summary
    beside a network total), related to `values` by `audit_sums`: the audit (not the rule) also checks those
    relations, and suppresses cells of `values` until no suppressed cell, published or new, is pinned.
    """
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"count {name!r} is negative")
    if policy.exact:
        return {name: Cell(value=v, lower=v, upper=v) for name, v in values.items()}

    rank = {name: i for i, name in enumerate(order if order is not None else values)}
    primary = {n for n, v in values.items() if 1 <= v <= policy.threshold}
    small = set(primary)  # cells whose value must never be pinned
    secondary: set[str] = set()
    fixed = dict(published or {})
    fixed_suppressed = {n for n, c in fixed.items() if c.suppressed}
    every_sum = [*sums, *audit_sums]
    bounded = {p for rel in every_sum for p in rel.parts} | {rel.small for rel in at_most}
    bounded |= {rel.total for rel in audit_sums}  # a sum of published cells has a finite range
    direct, reach = _neighbours(every_sum, at_most)

    def eligible(name: str) -> bool:
        return (
            name in values
            and values[name] > 0
            and name not in primary
            and name not in secondary
            and name in bounded  # never the top of every relation: its range would have no upper end
        )

    def smallest(names: Iterable[str]) -> str | None:
        pool = sorted({n for n in names if eligible(n)}, key=lambda n: (values[n], rank.get(n, len(rank)), n))
        return pool[0] if pool else None

    def nearest(name: str) -> str | None:
        """The smallest cell that can still be suppressed among the closest ones related to `name`."""
        seen, layer = {name}, {name}
        while layer:
            layer = {m for n in layer for m in direct.get(n, ())} - seen
            seen |= layer
            pick = smallest(layer)
            if pick is not None:
                return pick
        return None

    while True:
        added = False
        # 1. The rule: no relation may have exactly one unknown member.
        for rel in sums:
            unknown = [m for m in rel.members if m not in values or m in primary or m in secondary]
            if len(unknown) == 1 and unknown[0] in values:  # one suppressed cell and nothing else unknown
                pick = smallest(rel.parts) or smallest([rel.total])
                if pick is not None:
                    secondary.add(pick)
                    added = True
        # 2. The audit: no small cell may be pinned to one value by the published cells.
        known = _knowledge(values, policy, primary, secondary)
        known.update({n: (c.lower, c.upper) for n, c in fixed.items()})
        bounds = propagate(known, every_sum, at_most)
        for name in sorted(small | fixed_suppressed, key=lambda n: (rank.get(n, len(rank)), n)):
            if bounds[name][0] < bounds[name][1]:
                continue
            pick = nearest(name)
            if pick is None:
                # Everything related to it is suppressed already, and the small-number ranges themselves pin
                # it (e.g. seven suppressed cells adding up to a suppressed total of 7 must all be 1). Widen
                # the smallest such small cell's published range: it becomes secondary, known only to be >= 1.
                pool = [n for n in (*reach.get(name, ()), name) if n in primary and n in bounded]
                pick = min(pool, key=lambda n: (values[n], rank.get(n, len(rank)), n), default=None)
                if pick is not None:
                    primary.discard(pick)
            if pick is not None:
                secondary.add(pick)
                added = True
                break  # one at a time: that may already free the other pinned cells
        if not added:
            break

    # A partner that the other published cells pin anyway hides nothing: publish it after all.
    for name in list(secondary - small):
        if bounds[name][0] >= bounds[name][1]:
            secondary.discard(name)

    cells: dict[str, Cell] = {}
    for name, value in values.items():
        if name in secondary:
            low, high = bounds[name]
            cells[name] = Cell(
                value=None, suppressed=True, secondary=True, lower=int(low), upper=int(min(high, 10**12))
            )
        else:
            cells[name] = protect_value(value, policy)
    return cells


def _neighbours(
    sums: Sequence[Sum], at_most: Sequence[AtMost]
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Cells sharing a relation with each cell (direct), and also those one unpublished quantity away
    (reach)."""
    direct: dict[str, set[str]] = {}
    for rel in sums:
        for m in rel.members:
            direct.setdefault(m, set()).update(rel.members)
    for rel in at_most:
        direct.setdefault(rel.small, set()).update((rel.small, rel.big))
        direct.setdefault(rel.big, set()).update((rel.small, rel.big))
    reach: dict[str, set[str]] = {}
    for name, near in direct.items():
        far = set(near)
        for other in near:
            far |= direct.get(other, set())
        far.discard(name)
        reach[name] = far
        near.discard(name)
    return direct, reach


def pinned_cells(
    cells: Mapping[str, Cell], policy: DisclosurePolicy, sums: Sequence[Sum], at_most: Sequence[AtMost] = ()
) -> list[str]:
    """Suppressed cells whose value the published cells (and the relations) pin to a single number."""
    known: Bounds = {name: (cell.lower, cell.upper) for name, cell in cells.items()}
    bounds = propagate(known, sums, at_most)
    return [n for n, c in cells.items() if c.suppressed and bounds[n][0] >= bounds[n][1]]
