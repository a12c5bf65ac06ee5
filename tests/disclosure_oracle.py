"""An independent statement of the primary disclosure rule, for tests (nothing here imports disclosure.py).

The rule, as documented for users (docs and the disclosure.py docstring):

- 0 is published as 0;
- 1..threshold is suppressed (no value);
- any other count is published as the multiple of the rounding base nearest to it, a tie (exactly half-way)
  going to the larger multiple; and if that multiple is threshold or less (0 included), as the first multiple
  of the base above the threshold instead.

Written the slow, obvious way (scan the multiples, compare distances) rather than with the closed-form
arithmetic disclosure.py uses, so a mistake in that arithmetic cannot be copied here.
"""

from __future__ import annotations

SUPPRESSED = None


def nearest_multiple_halves_up(value: int, base: int) -> int:
    """The multiple of `base` closest to `value`; at an exact tie, the larger one."""
    below = 0
    while below + base <= value:  # the largest multiple not above value
        below += base
    above = below + base
    if value == below:
        return below
    return above if (above - value) <= (value - below) else below


def first_multiple_above(threshold: int, base: int) -> int:
    multiple = 0
    while multiple <= threshold:
        multiple += base
    return multiple


def published_as(value: int, threshold: int, base: int) -> int | None:
    """What the standard policy publishes for the true count `value` (None: suppressed)."""
    if value == 0:
        return 0
    if value <= threshold:
        return SUPPRESSED
    rounded = nearest_multiple_halves_up(value, base)
    return rounded if rounded > threshold else first_multiple_above(threshold, base)


def true_values_published_as(published: int, threshold: int, base: int) -> range:
    """Every true count the standard policy publishes as `published` (a non-zero published value), found by
    trying every count from threshold + 1 up: a reader's full knowledge from that one number.

    Rounding moves a count by less than one base, so no count beyond published + base can give it.
    """
    candidates = range(threshold + 1, published + base + 1)
    hits = [v for v in candidates if published_as(v, threshold, base) == published]
    if not hits:
        raise ValueError(f"{published} is never published under threshold {threshold}, base {base}")
    assert hits == list(range(hits[0], hits[-1] + 1)), hits  # the rule is monotone: a contiguous run
    return range(hits[0], hits[-1] + 1)
