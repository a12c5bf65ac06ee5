"""The coded history of one block of patients: clinical events, medication issues and fit notes.

Vectorised with numpy: each part of the model draws, for all patients of the block at once, how many records
of a kind each patient gets, then their dates and codes. Each part has its own random stream (named below), so
adding a code list changes only the part that uses it. The rates are documented in docs/synth.md; the
constants here are the single place they are set.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from pain_finder.synth import noise
from pain_finder.synth.codebook import CodeBook, Pool
from pain_finder.synth.population import YEAR, People

# --- rates (per person-year unless said otherwise) ---
ROUTINE_BASE, ROUTINE_PER_YEAR_OF_AGE = 2.0, 0.11  # routine coded events per year: base + slope * age
ACUTE_MEDICINE_RATE = 0.35
ACUTE_PAIN_RATE_ADULT, ACUTE_PAIN_RATE_CHILD = 0.15, 0.04
ACUTE_PAIN_OPIOID = 0.4  # share of adult acute pain episodes given a short opioid course
CHRONIC_PAIN_BY_AGE = (
    (18, 0.12),
    (30, 0.18),
    (45, 0.26),
    (60, 0.32),
    (75, 0.36),
)  # adults, by age at the end
CHRONIC_PAIN_YEARS_MIN, CHRONIC_PAIN_YEARS_MEAN = 2.0, 10.0  # how long it lasts: at least 2 years
CHRONIC_PAIN_SEX = (1.2, 0.85, 1.0)  # female, male, unknown
CHRONIC_PAIN_CODED_AS_CHRONIC = 0.55  # of chronic pain: also a code that itself means chronic pain
LONG_TERM_OPIOID = 0.3  # of chronic pain
COURSE_YEARS_MEAN = 5.0  # long-term opioid and gabapentinoid courses: mean length (at least 6 months)
LONG_TERM_OPIOID_KIND = (("weak", 0.62), ("strong", 0.23), ("patch", 0.15))
GABAPENTINOID_CHRONIC, GABAPENTINOID_OTHER = 0.2, 0.006
FIT_NOTE_EPISODES_OTHER, FIT_NOTE_EPISODES_CHRONIC = 0.07, 0.45  # working age (16-66)
LONG_TERM_SICK = 0.18  # of working-age chronic pain still registered: off work through the last months
FIT_NOTE_CODED = 0.85  # of fit notes: also coded in clinical_events
READ_7_CHARS = 0.3  # of Read v2 clinical codes: written with the 2-digit term suffix (N142.00)

NUMERIC = ("sbp", "dbp", "weight", "bmi", "height", "pulse", "alcohol", "hba1c", "cholesterol", "peak_flow")


def stream(seed: int, practice: int, block: int, name: str) -> np.random.Generator:
    """An independent, reproducible random stream for one part of the model in one block."""
    return np.random.default_rng([seed, practice, block, zlib.crc32(name.encode())])


@dataclass
class Records:
    """The rows of one block, as parallel arrays (patient = index within the block)."""

    ce: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {"pat": [], "day": [], "code": [], "value": []}
    )
    mi: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {"pat": [], "day": [], "product": [], "qty": [], "repeat": []}
    )
    fn: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {"pat": [], "issue": [], "start": [], "end": [], "may_be_fit": []}
    )

    def event(
        self, pat: np.ndarray, day: np.ndarray, code: np.ndarray, value: np.ndarray | None = None
    ) -> None:
        self.ce["pat"].append(pat)
        self.ce["day"].append(day)
        self.ce["code"].append(code)
        self.ce["value"].append(np.full(len(pat), np.nan) if value is None else value)

    def issue(
        self, pat: np.ndarray, day: np.ndarray, product: np.ndarray, qty: np.ndarray, repeat: np.ndarray
    ) -> None:
        for k, v in (("pat", pat), ("day", day), ("product", product), ("qty", qty), ("repeat", repeat)):
            self.mi[k].append(v)

    def fit_note(self, pat, issue, start, end, may_be_fit) -> None:
        for k, v in (
            ("pat", pat),
            ("issue", issue),
            ("start", start),
            ("end", end),
            ("may_be_fit", may_be_fit),
        ):
            self.fn[k].append(v)

    @staticmethod
    def cat(parts: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
        return {k: (np.concatenate(v) if v else np.zeros(0)) for k, v in parts.items()}


def _uniform(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """A day uniformly in [lo, hi] (hi >= lo)."""
    return lo + np.floor(rng.random(len(lo)) * (np.maximum(hi - lo, 0) + 1)).astype(np.int64)


def _pick(rng: np.random.Generator, codes: np.ndarray, n: int) -> np.ndarray:
    return codes[rng.integers(0, len(codes), n)]


def _by_age(age: np.ndarray, table: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Step function: table of (from_age, value); 0 below the first step."""
    out = np.zeros(len(age))
    for start, value in table:
        out = np.where(age >= start, value, out)
    return out


def _series(
    rng: np.random.Generator, start: np.ndarray, end: np.ndarray, interval: np.ndarray, jitter: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regular dates from start to end (inclusive) every `interval` days, +-jitter; returns (row, day, k)."""
    count = np.where(end >= start, (end - start) // np.maximum(interval, 1) + 1, 0).astype(np.int64)
    row = np.repeat(np.arange(len(start)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    day = start[row] + k * interval[row]
    if jitter:
        day = day + np.where(k > 0, rng.integers(-jitter, jitter + 1, len(day)), 0)
    day = np.minimum(np.maximum(day, start[row]), end[row])
    return row, day, k


def _after_earlier(pat: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Rows in patient, start order: True where a row starts after all earlier rows of its patient ended."""
    if not len(pat):
        return np.zeros(0, dtype=bool)
    base = int(min(start.min(), end.min()))
    span = int(max(start.max(), end.max())) - base + 2  # patient p's days map into [p * span, (p + 1) * span)
    key_end = pat.astype(np.int64) * span + (end - base)
    latest = np.concatenate([[-1], np.maximum.accumulate(key_end)[:-1]])  # latest end of the rows before
    return pat.astype(np.int64) * span + (start - base) > latest


def _episodes(
    rng: np.random.Generator, rate: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson(rate * years) events per patient, uniform in [lo, hi]; returns (patient, day)."""
    years = np.maximum(hi - lo, 0) / YEAR
    count = rng.poisson(np.maximum(rate, 0) * years)
    count = np.where(hi >= lo, count, 0)
    pat = np.repeat(np.arange(len(lo)), count)
    return pat, _uniform(rng, lo[pat], hi[pat])


class History:
    """Builds the Records of one block."""

    def __init__(
        self,
        people: People,
        book: CodeBook,
        *,
        seed: int,
        practice: int,
        block: int,
        noise_scale: float,
        extract_day: int,
    ) -> None:
        self.p, self.book, self.noise_scale, self.extract_day = people, book, noise_scale, extract_day
        self._rng = lambda name: stream(seed, practice, block, name)
        self.r = Records()
        n = len(people)
        self.age_end = people.age_at(people.obs_end)
        self.adult_lo = np.maximum(people.obs_start, people.dob + int(18 * YEAR))
        self.adult = self.adult_lo <= people.obs_end
        self.work_lo = np.maximum(people.obs_start, people.dob + int(16 * YEAR))
        self.work_hi = np.minimum(people.obs_end, people.dob + int(67 * YEAR) - 1)
        self.chronic = np.zeros(n, dtype=bool)
        self.onset = np.full(n, -1, dtype=np.int64)
        self.pain_end = np.full(n, -1, dtype=np.int64)

    def build(self) -> Records:
        self.routine()
        self.long_term_conditions()
        self.acute_medicines()
        self.chronic_pain()
        self.acute_pain()
        self.long_term_prescribing()
        self.fit_notes()
        self.exclusions_and_flags()
        return self.r

    # --- the parts ---
    def routine(self) -> None:
        rng, p, book = self._rng("routine"), self.p, self.book
        if len(book.noise_draw) == 0:
            return
        mid_age = p.age_at((p.obs_start + p.obs_end) // 2)
        rate = (ROUTINE_BASE + ROUTINE_PER_YEAR_OF_AGE * mid_age) * rng.gamma(2.0, 0.5, len(p))
        rate = np.where((p.sex == 0) & (mid_age >= 16) & (mid_age < 60), rate * 1.3, rate) * self.noise_scale
        pat, day = _episodes(rng, rate, p.obs_start, p.obs_end)
        pos = np.searchsorted(
            book.noise_cumulative, rng.random(len(pat)) * book.noise_cumulative[-1], side="right"
        )
        code = book.noise_draw[np.minimum(pos, len(book.noise_draw) - 1)]
        age = (day - p.dob[pat]) / YEAR
        value = np.full(len(pat), np.nan)
        for idx, kind in book.noise_values.items():
            m = code == idx
            if m.any():
                value[m] = _numeric(rng, kind, age[m])
        self.r.event(pat, day, code, value)
        sbp, dbp = book.noise_index.get("sbp"), book.noise_index.get("diastolic")
        if sbp is not None and dbp is not None:
            m = code == sbp
            self.r.event(pat[m], day[m], np.full(m.sum(), dbp), _numeric(rng, "dbp", age[m]))

    def long_term_conditions(self) -> None:
        rng, p, book = self._rng("conditions"), self.p, self.book
        steps = (0, 18, 40, 60, 75)
        for key, medicines, prevalence in noise.CONDITIONS:
            has = rng.random(len(p)) < _by_age(self.age_end, tuple(zip(steps, prevalence, strict=True)))
            pat = np.flatnonzero(has)
            before = rng.random(len(pat)) < 0.5  # diagnosed before the history starts
            diag = np.where(before, p.obs_start[pat], _uniform(rng, p.obs_start[pat], p.obs_end[pat]))
            code = book.noise_index.get(key)
            if code is not None:
                recorded = np.minimum(
                    np.where(before, diag + rng.integers(0, 365, len(pat)), diag), p.obs_end[pat]
                )
                self.r.event(pat, recorded, np.full(len(pat), code))
            meds = [book.noise_medicines[m] for m in medicines if m in book.noise_medicines]
            if not meds or not len(pat):
                continue
            product = np.array(meds)[rng.integers(0, len(meds), len(pat))]
            stop = np.minimum(p.obs_end[pat], diag + (rng.exponential(8.0, len(pat)) * YEAR).astype(np.int64))
            interval = np.where(rng.random(len(pat)) < 0.7, 28, 56)
            if key == "asthma":
                interval = np.full(len(pat), 91)
            row, day, k = _series(rng, diag, stop, interval, 5)
            keep = rng.random(len(row)) < min(1.0, self.noise_scale)
            row, day, k = row[keep], day[keep], k[keep]
            base = np.array([book.products[i].repeat_quantity for i in product])
            qty = np.where(interval == 56, base * 2, base)
            self.r.issue(pat[row], day, product[row], qty[row], k > 0)

    def acute_medicines(self) -> None:
        rng, p, book = self._rng("acute_medicines"), self.p, self.book
        options = [
            (book.noise_medicines[k], w) for k, w in noise.ACUTE_MEDICINES if k in book.noise_medicines
        ]
        if not options:
            return
        pat, day = _episodes(
            rng, np.full(len(p), ACUTE_MEDICINE_RATE * self.noise_scale), p.obs_start, p.obs_end
        )
        idx = np.array([o[0] for o in options])
        cum = np.cumsum([o[1] for o in options])
        product = idx[
            np.minimum(np.searchsorted(cum, rng.random(len(pat)) * cum[-1], side="right"), len(idx) - 1)
        ]
        qty = np.array([book.products[i].acute_quantity for i in product], dtype=np.int64)
        self.r.issue(pat, day, product, qty, np.zeros(len(pat), dtype=bool))

    def chronic_pain(self) -> None:
        """Who has chronic pain, from when, and their repeated pain consultations (persistence)."""
        rng, p, book = self._rng("chronic_pain"), self.p, self.book
        prob = _by_age(self.age_end, CHRONIC_PAIN_BY_AGE) * np.array(CHRONIC_PAIN_SEX)[p.sex]
        eligible = self.adult & (p.obs_end - self.adult_lo > 120)
        self.chronic = eligible & (rng.random(len(p)) < prob)
        pat = np.flatnonzero(self.chronic)
        prevalent = rng.random(len(pat)) < 0.45
        onset = np.where(
            prevalent, self.adult_lo[pat], _uniform(rng, self.adult_lo[pat], p.obs_end[pat] - 120)
        )
        end = np.minimum(
            p.obs_end[pat],
            onset
            + (
                np.maximum(CHRONIC_PAIN_YEARS_MIN, rng.exponential(CHRONIC_PAIN_YEARS_MEAN, len(pat))) * YEAR
            ).astype(np.int64),
        )
        self.onset[pat], self.pain_end[pat] = onset, end
        if book.has("pain_condition"):
            codes = book.concept_codes["pain_condition"]
            main = _pick(rng, codes, len(pat))
            interval = rng.integers(40, 150, len(pat))
            row, day, _ = _series(rng, onset, end, interval, 20)
            code = np.where(rng.random(len(row)) < 0.75, main[row], _pick(rng, codes, len(row)))
            self.r.event(pat[row], day, code)
        if book.has("chronic_pain_condition"):
            coded = rng.random(len(pat)) < CHRONIC_PAIN_CODED_AS_CHRONIC
            cp = pat[coded]
            count = 1 + rng.poisson(1.5, len(cp))
            row = np.repeat(np.arange(len(cp)), count)
            lo = np.minimum(onset[coded] + 60, end[coded])
            day = _uniform(rng, lo[row], end[coded][row])
            self.r.event(cp[row], day, _pick(rng, book.concept_codes["chronic_pain_condition"], len(row)))

    def acute_pain(self) -> None:
        rng, p, book = self._rng("acute_pain"), self.p, self.book
        rate = np.where(self.adult, ACUTE_PAIN_RATE_ADULT, ACUTE_PAIN_RATE_CHILD)
        pat, day = _episodes(rng, rate, p.obs_start, p.obs_end)
        if book.has("pain_condition"):
            codes = book.concept_codes["pain_condition"]
            code = _pick(rng, codes, len(pat))
            self.r.event(pat, day, code)
            follow = rng.random(len(pat)) < 0.3
            fday = np.minimum(day[follow] + rng.integers(7, 29, follow.sum()), p.obs_end[pat[follow]])
            self.r.event(pat[follow], fday, code[follow])
        adult = (day - p.dob[pat]) / YEAR >= 18
        treated = adult & (rng.random(len(pat)) < ACUTE_PAIN_OPIOID)
        strong = rng.random(len(pat)) < 0.05
        for pool_name, mask in (("weak_acute", treated & ~strong), ("strong_acute", treated & strong)):
            pool = book.pool(pool_name)
            if not len(pool):
                continue
            tp, td = pat[mask], day[mask]
            product = pool.draw(rng, len(tp))
            qty = np.array([book.products[i].acute_quantity for i in product], dtype=np.int64)
            self.r.issue(tp, td, product, qty, np.zeros(len(tp), dtype=bool))
            again = rng.random(len(tp)) < 0.15
            d2 = np.minimum(td[again] + rng.integers(7, 22, again.sum()), p.obs_end[tp[again]])
            self.r.issue(tp[again], d2, product[again], qty[again], np.zeros(again.sum(), dtype=bool))
        nsaid = self.book.noise_medicines.get("ibuprofen")
        if nsaid is not None:
            m = adult & (rng.random(len(pat)) < 0.2)
            self.r.issue(
                pat[m], day[m], np.full(m.sum(), nsaid), np.full(m.sum(), 24), np.zeros(m.sum(), dtype=bool)
            )

    def _courses(
        self, rng: np.random.Generator, pat: np.ndarray, start: np.ndarray, stop: np.ndarray, pool: Pool
    ) -> None:
        """Long-term repeat prescribing: first issue acute, then repeats until stop."""
        if not len(pool) or not len(pat):
            return
        book = self.book
        product = pool.draw(rng, len(pat))
        interval = np.array([book.products[i].interval_days for i in product], dtype=np.int64)
        row, day, k = _series(rng, start, stop, interval, 4)
        # Some repeats are missed or delayed: drop ~8% of issues after the first.
        keep = (k == 0) | (rng.random(len(row)) >= 0.08)
        row, day, k = row[keep], day[keep], k[keep]
        qty = np.array([book.products[i].repeat_quantity for i in product], dtype=np.int64)
        self.r.issue(pat[row], day, product[row], qty[row], k > 0)

    def long_term_prescribing(self) -> None:
        rng, p, book = self._rng("long_term_prescribing"), self.p, self.book
        pat = np.flatnonzero(self.chronic)
        onset, end = self.onset[pat], self.pain_end[pat]
        on_opioid = rng.random(len(pat)) < LONG_TERM_OPIOID
        kind_draw = rng.random(len(pat))
        start = np.minimum(
            onset + (rng.random(len(pat)) * 1.5 * YEAR).astype(np.int64), np.maximum(end - 28, onset)
        )
        stop = np.minimum(
            end, start + np.maximum(182, rng.exponential(COURSE_YEARS_MEAN, len(pat)) * YEAR).astype(np.int64)
        )
        edge = 0.0
        for kind, share in LONG_TERM_OPIOID_KIND:
            m = on_opioid & (kind_draw >= edge) & (kind_draw < edge + share)
            edge += share
            pool = book.pool(kind)
            for fallback in ("strong", "weak"):  # a list without patches: patch users get oral opioids
                if not len(pool):
                    pool = book.pool(fallback)
            self._courses(rng, pat[m], start[m], stop[m], pool)
        gaba = rng.random(len(pat)) < GABAPENTINOID_CHRONIC
        gstart = np.minimum(
            onset + (rng.random(len(pat)) * 2 * YEAR).astype(np.int64), np.maximum(end - 28, onset)
        )
        gstop = np.minimum(
            end,
            gstart + np.maximum(182, rng.exponential(COURSE_YEARS_MEAN, len(pat)) * YEAR).astype(np.int64),
        )
        self._courses(rng, pat[gaba], gstart[gaba], gstop[gaba], book.pool("gabapentinoid"))
        # Gabapentinoids for other reasons (epilepsy, anxiety), without pain codes.
        other = np.flatnonzero(self.adult & ~self.chronic & (rng.random(len(p)) < GABAPENTINOID_OTHER))
        ostart = _uniform(rng, self.adult_lo[other], p.obs_end[other])
        self._courses(rng, other, ostart, p.obs_end[other], book.pool("gabapentinoid"))

    def fit_notes(self) -> None:
        rng, p, book = self._rng("fit_notes"), self.p, self.book
        working = self.work_hi - self.work_lo > 30
        # Short episodes anyone of working age may have (infections, injuries, operations).
        rate = np.where(working, FIT_NOTE_EPISODES_OTHER, 0.0)
        pat_a, day_a = _episodes(rng, rate, self.work_lo, self.work_hi)
        n_a = rng.geometric(0.55, len(pat_a))
        # Episodes after chronic pain starts: more often, longer, repeated.
        lo = np.maximum(self.work_lo, self.onset)
        rate_c = np.where(working & self.chronic & (lo < self.work_hi), FIT_NOTE_EPISODES_CHRONIC, 0.0)
        pat_b, day_b = _episodes(rng, rate_c, lo, self.work_hi)
        n_b = rng.geometric(0.3, len(pat_b))
        # Off sick through the last months before the extract: repeated not-fit notes up to the extract date.
        sick = (
            working
            & self.chronic
            & (p.obs_end == self.extract_day)
            & (self.work_hi == self.extract_day)
            & (rng.random(len(p)) < LONG_TERM_SICK)
        )
        pat_c = np.flatnonzero(sick)
        day_c = np.maximum(self.extract_day - rng.integers(90, 540, len(pat_c)), lo[pat_c])
        n_c = (self.extract_day - day_c) // 28 + 1
        pat = np.concatenate([pat_a, pat_b, pat_c]).astype(np.int64)
        first = np.concatenate([day_a, day_b, day_c]).astype(np.int64)
        notes = np.concatenate([n_a, n_b, n_c]).astype(np.int64)
        chronic_ep = np.concatenate([np.zeros(len(pat_a), bool), np.ones(len(pat_b) + len(pat_c), bool)])
        ep = np.repeat(np.arange(len(pat)), notes)
        dur = np.where(
            chronic_ep[ep],
            rng.choice(np.array([14, 28, 28, 28, 42, 56, 56, 84]), len(ep)),
            rng.integers(7, 29, len(ep)),
        )
        before = np.cumsum(dur) - dur  # days of notes before this one, over the whole block
        offset = before - before[(np.cumsum(notes) - notes)[ep]] if len(ep) else before
        start = first[ep] + offset
        keep = start <= self.work_hi[pat[ep]]
        ep, start, dur = ep[keep], start[keep], dur[keep]
        # One person is off sick once at a time: episodes run one after another, never side by side. In date
        # order, a note that starts before an earlier note of the same person ends is not issued (the later
        # notes of its episode are, once clear of the earlier ones: a new note starts when the previous ends).
        order = np.lexsort((ep, start, pat[ep]))
        ep, start, dur = ep[order], start[order], dur[order]
        clear = _after_earlier(pat[ep], start, start + dur - 1)
        ep, start, dur = ep[clear], start[clear], dur[clear]
        may = rng.random(len(ep)) < np.where(chronic_ep[ep], 0.12, 0.2)
        fpat = pat[ep]
        self.r.fit_note(fpat, start, start, start + dur - 1, may)
        if book.has("fit_note"):
            coded = rng.random(len(ep)) < FIT_NOTE_CODED
            codes_may, codes_not = book.fit_note_codes["may_be_fit"], book.fit_note_codes["not_fit"]
            code = np.where(may, _pick(rng, codes_may, len(ep)), _pick(rng, codes_not, len(ep)))
            self.r.event(fpat[coded], start[coded], code[coded])

    def _concept(
        self,
        rng: np.random.Generator,
        concept: str,
        mask: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        repeats: float = 0.0,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Code `concept` for the patients in mask: a first code in [lo, hi], then Poisson(repeats) more."""
        mask = mask & (hi >= lo)
        pat = np.flatnonzero(mask)
        first = _uniform(rng, lo[pat], hi[pat])
        if not self.book.has(concept):
            return pat, first
        codes = self.book.concept_codes[concept]
        self.r.event(pat, first, _pick(rng, codes, len(pat)))
        if repeats > 0:
            more = rng.poisson(repeats, len(pat))
            row = np.repeat(np.arange(len(pat)), more)
            self.r.event(pat[row], _uniform(rng, first[row], hi[pat][row]), _pick(rng, codes, len(row)))
        return pat, first

    def exclusions_and_flags(self) -> None:
        rng, p, book = self._rng("exclusions"), self.p, self.book
        n, age, lo, hi = len(p), self.age_end, p.obs_start, p.obs_end
        u = lambda: rng.random(n)  # noqa: E731
        cancer = _by_age(age, ((0, 0.003), (30, 0.015), (50, 0.05), (70, 0.10)))
        self._concept(rng, "cancer", u() < cancer, lo, hi, 2.0)
        dementia = _by_age(age, ((40, 0.001), (65, 0.02), (75, 0.07), (85, 0.18)))
        self._concept(rng, "dementia", u() < dementia, np.maximum(lo, p.dob + int(40 * YEAR)), hi, 1.5)
        dead = p.death >= 0
        pall = (dead & (u() < 0.3)) | (~dead & (age >= 60) & (u() < 0.002))
        self._concept(rng, "palliative_care", pall, np.maximum(lo, hi - 365), hi, 1.0)
        adult_lo = self.adult_lo
        dep_pat, dep_day = self._concept(
            rng, "opioid_dependence", self.adult & (age < 70) & (u() < 0.004), adult_lo, hi, 2.0
        )
        subst = rng.random(len(dep_pat)) < 0.7
        sp = dep_pat[subst]
        self._courses(
            rng,
            sp,
            dep_day[subst],
            np.minimum(hi[sp], dep_day[subst] + (rng.exponential(3.0, len(sp)) * YEAR).astype(np.int64)),
            book.pool("substitution"),
        )
        self._concept(
            rng, "severe_mental_illness", u() < 0.009, np.maximum(lo, p.dob + int(14 * YEAR)), hi, 1.5
        )
        self._concept(rng, "learning_disability", u() < 0.005, lo, hi, 1.0)
        self._concept(rng, "substance_misuse", self.adult & (u() < 0.015), adult_lo, hi, 1.0)
        care = _by_age(age, ((65, 0.02), (85, 0.15)))
        self._concept(rng, "care_home", u() < care, np.maximum(lo, hi - int(3 * YEAR)), hi, 0.5)
        self._concept(rng, "research_dissent", u() < 0.006, lo, hi)
        opt_pat, opt_day = self._concept(rng, "type1_opt_out", u() < 0.035, lo, hi)
        withdrawn = np.zeros(n, dtype=bool)
        withdrawn[opt_pat[rng.random(len(opt_pat)) < 0.12]] = True
        first = np.full(n, 0, dtype=np.int64)
        first[opt_pat] = np.minimum(opt_day + 30, hi[opt_pat])
        self._concept(rng, "type1_opt_out_withdrawn", withdrawn, first, hi)
        # Bereavement: events through adult life.
        if book.has("bereavement"):
            bp, bd = _episodes(rng, np.where(self.adult, 0.02, 0.0), adult_lo, hi)
            self.r.event(bp, bd, _pick(rng, book.concept_codes["bereavement"], len(bp)))
        # Pregnancy: episodes for women aged 16-45, a few codes over up to nine months.
        if book.has("pregnancy"):
            plo = np.maximum(lo, p.dob + int(16 * YEAR))
            phi = np.minimum(hi, p.dob + int(45 * YEAR))
            pp, pd = _episodes(rng, np.where(p.sex == 0, 0.06, 0.0), plo, phi)
            count = rng.integers(1, 5, len(pp))
            row = np.repeat(np.arange(len(pp)), count)
            day = np.minimum(pd[row] + rng.integers(0, 250, len(row)), hi[pp[row]])
            self.r.event(pp[row], day, _pick(rng, book.concept_codes["pregnancy"], len(row)))


def _numeric(rng: np.random.Generator, kind: str, age: np.ndarray) -> np.ndarray:
    n = len(age)
    adult = age >= 16
    if kind == "sbp":
        v = rng.normal(118 + 0.45 * np.maximum(age - 20, 0), 14, n).clip(85, 210)
        return np.round(v)
    if kind == "dbp":
        return np.round(rng.normal(78, 9, n).clip(45, 130))
    if kind == "weight":
        return np.round(np.where(adult, rng.normal(78, 16, n).clip(38, 200), 3.5 + 2.9 * age), 1)
    if kind == "bmi":
        return np.round(np.where(adult, rng.normal(27.5, 5, n).clip(15, 60), rng.normal(17.5, 2, n)), 1)
    if kind == "height":
        return np.round(np.where(adult, rng.normal(169, 9.5, n), 50 + 6.5 * np.minimum(age, 16)), 1)
    if kind == "pulse":
        return np.round(rng.normal(74, 11, n).clip(40, 140))
    if kind == "alcohol":
        return np.round(np.maximum(rng.normal(6, 9, n), 0))
    if kind == "hba1c":
        return np.round(rng.normal(41, 9, n).clip(25, 130))
    if kind == "cholesterol":
        return np.round(rng.normal(5.1, 1.0, n).clip(2, 11), 1)
    if kind == "peak_flow":
        return np.round(rng.normal(430, 90, n).clip(100, 750), -1)
    return np.full(n, np.nan)
