"""Who is in a synthetic practice: age, sex, registration history and deaths.

The registered list at the extract date follows an ONS-like age pyramid (England and Wales, mid-2022, 5-year
bands) with the female share rising in old age. Around it: patients who left the practice during the history
(ended registrations), patients who died (date_of_death, registration ended that day) and patients who moved
away and back (two registrations). All dates are whole days counted from 1970-01-01 (numpy int64).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

YEAR = 365.25
EPOCH = dt.date(1970, 1, 1)

# Share of the population in each 5-year band 0-4, 5-9, ..., 85-89, 90+ (ONS mid-2022 England and Wales,
# rounded).
AGE_PYRAMID = np.array(
    [5.4, 6.0, 6.2, 5.9, 6.1, 6.6, 6.9, 6.7, 6.4, 6.2, 6.8, 6.8, 6.0, 5.1, 4.9, 3.9, 2.6, 1.6, 0.9]
)
FEMALE_SHARE = np.array(
    [
        0.49,
        0.49,
        0.49,
        0.49,
        0.50,
        0.50,
        0.51,
        0.51,
        0.51,
        0.51,
        0.51,
        0.51,
        0.51,
        0.52,
        0.53,
        0.54,
        0.57,
        0.61,
        0.67,
    ]
)
# Age at death (bands <50, 50-64, 65-74, 75-84, 85-104) for the patients who die during the history.
DEATH_AGE_BANDS = ((0, 50, 0.05), (50, 65, 0.12), (65, 75, 0.18), (75, 85, 0.30), (85, 104, 0.35))

SHARE_DECEASED = 0.05  # of all patients in the extract: died during the history
SHARE_LEFT = 0.11  # left the practice during the history (registration ended)
SHARE_RETURNED = 0.03  # of current patients: an earlier registration that ended, then re-registered
SHARE_UNKNOWN_SEX = 0.001
MEAN_REGISTRATION_YEARS = 11.0
SHARE_HISTORY_TRANSFERRED = (
    0.7  # of patients who joined during the history: earlier record came with them (GP2GP)
)

SEX_NAMES = ("female", "male", "unknown")


def to_day(d: dt.date) -> int:
    return (d - EPOCH).days


@dataclass
class People:
    """One block of patients, as parallel arrays (days since 1970-01-01; -1 = none)."""

    dob: np.ndarray
    sex: np.ndarray  # 0 female, 1 male, 2 unknown
    death: np.ndarray
    reg_start: np.ndarray
    reg_end: np.ndarray
    prev_start: np.ndarray
    prev_end: np.ndarray
    obs_start: np.ndarray  # first day coded history is generated for
    obs_end: np.ndarray  # last day (extract date, end of registration or death)

    def __len__(self) -> int:
        return len(self.dob)

    def age_at(self, day: np.ndarray) -> np.ndarray:
        return (day - self.dob) / YEAR


def _pyramid_ages(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    p = AGE_PYRAMID / AGE_PYRAMID.sum()
    band = np.searchsorted(np.cumsum(p), rng.random(n), side="right").clip(0, len(p) - 1)
    age = band * 5 + rng.random(n) * 5
    old = band == len(p) - 1
    age[old] = 90 + np.minimum(rng.exponential(4.0, old.sum()), 14.9)
    return age, band


def simulate_people(rng: np.random.Generator, n: int, extract_day: int, window_start: int) -> People:
    """Draw `n` patients of one practice."""
    status = rng.random(n)
    deceased = status < SHARE_DECEASED
    left = (status >= SHARE_DECEASED) & (status < SHARE_DECEASED + SHARE_LEFT)
    current = ~(deceased | left)

    age, band = _pyramid_ages(rng, n)
    female = rng.random(n) < FEMALE_SHARE[band]
    # Deaths: age at death from DEATH_AGE_BANDS, day uniform in the history.
    bands = np.array([b[2] for b in DEATH_AGE_BANDS])
    db = np.searchsorted(np.cumsum(bands / bands.sum()), rng.random(n), side="right").clip(0, len(bands) - 1)
    lo = np.array([b[0] for b in DEATH_AGE_BANDS])[db]
    hi = np.array([b[1] for b in DEATH_AGE_BANDS])[db]
    death_age = lo + rng.random(n) * (hi - lo)
    span = extract_day - window_start
    death_day = window_start + (rng.random(n) * span).astype(np.int64)
    female = np.where(deceased & (death_age >= 85), rng.random(n) < 0.62, female)

    dob = np.where(
        deceased, death_day - (death_age * YEAR).astype(np.int64), extract_day - (age * YEAR).astype(np.int64)
    )
    sex = np.where(female, 0, 1)
    sex = np.where(rng.random(n) < SHARE_UNKNOWN_SEX, 2, sex)

    # Leavers: ended registration uniformly in the history, at least 30 days after birth (a baby born in the
    # last weeks cannot have left yet: they stay registered).
    left &= dob + 30 < extract_day - 1
    current = ~(deceased | left)
    leave_lo = np.maximum(window_start, dob + 30)
    leave_day = leave_lo + (rng.random(n) * np.maximum(extract_day - 1 - leave_lo, 0)).astype(np.int64)
    reg_end = np.where(deceased, death_day, np.where(left, leave_day, -1))
    death = np.where(deceased, death_day, -1)

    # Registration start: years before the end (or the extract date), from birth at the earliest.
    anchor = np.where(current, extract_day, reg_end)
    duration = (rng.exponential(MEAN_REGISTRATION_YEARS, n) * YEAR).astype(np.int64)
    from_birth = dob + rng.integers(7, 60, n)
    reg_start = np.maximum(anchor - duration, from_birth)
    reg_start = np.minimum(reg_start, anchor)

    # Moved away and came back: an earlier registration ending 6 months to 4 years before the current one.
    back = current & (rng.random(n) < SHARE_RETURNED) & (reg_start - dob > 5 * YEAR)
    prev_end = reg_start - rng.integers(180, 1500, n)
    prev_start = np.maximum(prev_end - (rng.exponential(5.0, n) * YEAR).astype(np.int64), from_birth)
    back &= prev_end > prev_start + 30
    prev_start = np.where(back, prev_start, -1)
    prev_end = np.where(back, prev_end, -1)

    first_start = np.where(back, prev_start, reg_start)
    transferred = rng.random(n) < SHARE_HISTORY_TRANSFERRED
    obs_start = np.maximum(window_start, np.where(transferred, dob, first_start))
    obs_start = np.maximum(obs_start, dob)
    obs_end = np.where(current, extract_day, reg_end)
    obs_start = np.minimum(obs_start, obs_end)
    return People(
        dob=dob,
        sex=sex,
        death=death,
        reg_start=reg_start,
        reg_end=reg_end,
        prev_start=prev_start,
        prev_end=prev_end,
        obs_start=obs_start,
        obs_end=obs_end,
    )


def nhs_test_numbers() -> np.ndarray:
    """Every valid NHS number in the 999 test range, in order: never a real person's.

    Modulus 11: weights 10..2 over the first nine digits; check = 11 - (sum mod 11), 11 -> 0, 10 -> invalid.
    """
    body = np.arange(999_000_000, 1_000_000_000, dtype=np.int64)
    total = np.zeros(len(body), dtype=np.int64)
    rest = body.copy()
    for weight in range(2, 11):  # the last digit of the body has weight 2
        total += (rest % 10) * weight
        rest //= 10
    check = 11 - total % 11
    check[check == 11] = 0
    valid = check != 10
    return body[valid] * 10 + check[valid]
