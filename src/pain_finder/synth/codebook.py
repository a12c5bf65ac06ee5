"""The codes a synthetic practice draws from: the project's code lists for its coding, plus routine codes.

`CodeBook.load(options)` reads the code lists at run time (`codelists.load_all`), so a list added or changed
under code_lists/ is picked up by the next run. A concept whose list does not exist yet for the chosen
system is skipped: nothing of that concept is generated, and a warning says so.

Each listed medicine becomes a `Product` with the dosage text and quantities a GP would write for it
(`make_product`): within the ingredient's licensed daily maximum, 24-hour products once a day, and products
that are not a plausible prescription for pain (packs, concentrates, mixtures, injections) never issued.

Everything here is ordered (lists sorted by name, entries in file order), so the same lists give the same
indices and the same random draws.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pain_finder import codelists
from pain_finder.codelists import CodeList, CodeSystem
from pain_finder.errors import InputError
from pain_finder.synth import noise
from pain_finder.synth.options import SynthOptions

CLINICAL_CONCEPTS: dict[str, str] = {
    "chronic_pain_condition": "chronic-pain codes",
    "pain_condition": "pain codes (acute episodes and persistent pain)",
    "fit_note": "fit-note codes in clinical_events (the fit_notes table is still written)",
    "research_dissent": "research-dissent codes",
    "palliative_care": "palliative-care codes",
    "cancer": "cancer codes",
    "dementia": "dementia codes",
    "opioid_dependence": "opioid-dependence codes",
    "type1_opt_out": "type 1 opt-out codes",
    "type1_opt_out_withdrawn": "type 1 opt-out withdrawal codes",
    "severe_mental_illness": "severe mental illness codes",
    "learning_disability": "learning disability codes",
    "pregnancy": "pregnancy codes",
    "substance_misuse": "substance misuse codes",
    "care_home": "care home codes",
    "bereavement": "bereavement codes",
}
MEDICATION_CONCEPTS: dict[str, str] = {
    "opioid": "opioid prescribing",
    "gabapentinoid": "gabapentinoid prescribing",
    "opioid_substitution": "opioid substitution prescribing (methadone, buprenorphine)",
}

# Ingredient keywords, most specific first (co-codamol is codeine; dihydrocodeine before codeine).
_INGREDIENTS: tuple[tuple[str, str], ...] = (
    ("co-codamol", "codeine"),
    ("co-dydramol", "dihydrocodeine"),
    ("dihydrocodeine", "dihydrocodeine"),
    ("codeine", "codeine"),
    ("tramadol", "tramadol"),
    ("tapentadol", "tapentadol"),
    ("oxycodone", "oxycodone"),
    ("hydromorphone", "hydromorphone"),
    ("diamorphine", "diamorphine"),
    ("morphine", "morphine"),
    ("buprenorphine", "buprenorphine"),
    ("fentanyl", "fentanyl"),
    ("methadone", "methadone"),
    ("pethidine", "pethidine"),
    ("meptazinol", "meptazinol"),
    ("pentazocine", "pentazocine"),
    ("pregabalin", "pregabalin"),
    ("gabapentin", "gabapentin"),
)
WEAK_OPIOIDS = frozenset({"codeine", "dihydrocodeine", "tramadol", "meptazinol"})
# Relative prescribing frequency of each ingredient within a pool (UK primary care, roughly).
POOL_WEIGHTS: dict[str, dict[str, float]] = {
    "weak": {"codeine": 50, "tramadol": 35, "dihydrocodeine": 15},
    "strong": {
        "morphine": 40,
        "oxycodone": 30,
        "tapentadol": 10,
        "buprenorphine": 4,
        "hydromorphone": 3,
        "methadone": 2,
    },
    "patch": {"buprenorphine": 70, "fentanyl": 30},
    "gabapentinoid": {"gabapentin": 55, "pregabalin": 45},
    "substitution": {"methadone": 70, "buprenorphine": 30},
}
_ORAL = frozenset({"tablet", "capsule", "oral_liquid"})


@dataclass(frozen=True)
class Product:
    """One medicine as issued: its code and the dosage and quantities a GP would write for it."""

    code: str
    term: str
    bnf_code: str
    ingredient: str
    form: str
    modified_release: bool
    dosage: str
    repeat_quantity: int
    acute_quantity: int
    interval_days: int  # days one repeat issue lasts
    generic: bool = True  # a generic name (not a brand or a supplier's own pack): prescribed far more often
    unit_ome: float | None = None  # mg oral morphine per tablet/capsule/ml, where the list says
    patch_mcg: float | None = None  # micrograms/hour of a patch, where the list (else its name) says
    strength_mg: float | None = None  # mg per tablet/capsule/ml, where the list (else its name) says
    max_per_day: float = 1.0  # units a day the dosage text allows at most
    once_daily: bool = False  # a 24-hour (once-daily) modified-release product
    issuable: bool = True  # False: never issued (see make_product)
    acute_only: bool = False  # issued as acute courses only, never on repeat


def _form(entry_form: str | None, term: str) -> str:
    if entry_form:
        return entry_form
    t = term.lower()
    for needle, form in (
        ("patch", "patch"),
        ("suppositor", "suppository"),
        ("injection", "injection"),
        ("ampoule", "injection"),
        ("oral solution", "oral_liquid"),
        ("oral suspension", "oral_liquid"),
        ("liquid", "oral_liquid"),
        ("syrup", "oral_liquid"),
        ("mixture", "oral_liquid"),
        ("capsule", "capsule"),
        ("tablet", "tablet"),
        ("caplet", "tablet"),
    ):
        if needle in t:
            return form
    return "other"


def _ingredient(entry_ingredient: str | None, term: str) -> str:
    text = f"{entry_ingredient or ''} {term}".lower()
    for needle, name in _INGREDIENTS:
        if needle in text:
            return name
    return (entry_ingredient or term.split(" ")[0]).lower()


_MODIFIED_RELEASE = re.compile(
    r"modified[- ]release|prolonged[- ]release|extended[- ]release|m/r|\b(?:mr|sr|pr|xl|mxl)\b"
    r"|\b(?:12|24) ?-?h(?:ou)?rs?\b|retard|continus|once[- ]daily"
)
# Once-daily (24-hour) products, by name: Zamadol 24hr, Zydol/Tradorec/Dromadol/Onexila XL, MXL, "once daily".
_ONCE_DAILY = re.compile(r"\b(?:xl|mxl)\b|\b24 ?-?h(?:ou)?rs?\b|once[- ]daily")
# Strengths that only exist as once-daily products although the generic name does not say so: tramadol
# modified-release above 200 mg (the 12-hourly products stop at 200 mg), morphine modified-release capsules of
# 90, 120 and 150 mg (MXL only).
_ONCE_DAILY_STRENGTHS: dict[tuple[str, str], frozenset[float]] = {
    ("morphine", "capsule"): frozenset({90.0, 120.0, 150.0}),
}
# Not plausible as a GP's prescription for pain: titration/starter packs, compound mixtures and tinctures
# (morphine and cocaine, chloroform and morphine, opium), drops, linctuses, injections, special orders.
_NOT_ISSUED = re.compile(
    r"titration|starter|initiation|\bpacks?\b|tablets and|capsules and|cocaine|chloroform|tincture|\bdrops\b"
    r"|linctus|injection|ampoule|infusion|special order|\(special\)"
)
# Licensed for short courses only or sold for self-limiting pain (dexketoprofen and ibuprofen combinations,
# period pain, migraine and headache products): issued as acute courses, never put on repeat.
_ACUTE_ONLY = re.compile(
    r"dexketoprofen|ibuprofen|nurofen|cuprofen|solpaflex|codafen|feminax|period pain|migraine|headache"
)


def _modified_release(term: str) -> bool:
    return _MODIFIED_RELEASE.search(term.lower()) is not None


def _once_daily(term: str, ingredient: str, form: str, strength: float | None) -> bool:
    if _ONCE_DAILY.search(term.lower()):
        return True
    if strength is None:
        return False
    if ingredient == "tramadol":
        return strength > 200
    return strength in _ONCE_DAILY_STRENGTHS.get((ingredient, form), frozenset())


def _patch_hours(dose: dict[str, str], ingredient: str, term: str) -> float:
    if "patch_hours" in dose:
        return float(dose["patch_hours"])
    t = term.lower()
    if "7 day" in t or "seven day" in t or "weekly" in t:
        return 168.0
    if "96 hour" in t or "4 day" in t or "transtec" in t:
        return 96.0
    if "72 hour" in t or ingredient == "fentanyl":
        return 72.0
    return 168.0


_NUMBER = r"(\d+(?:\.\d+)?)"


def _strength(dose: dict[str, str], ingredient: str, form: str, term: str) -> float | None:
    """mg per tablet/capsule (per ml for liquids): the list's strength_mg, else from the name."""
    if "strength_mg" in dose:
        return float(dose["strength_mg"])
    t = term.lower()
    if form == "oral_liquid":
        m = re.search(_NUMBER + r"\s*(mg|micrograms?)\s*/\s*" + _NUMBER + r"?\s*ml", t)
        if not m:
            return None
        mg = float(m.group(1)) / (1000.0 if m.group(2).startswith("microgram") else 1.0)
        return mg / float(m.group(3) or 1)
    m = re.search(r"co-(?:codamol|dydramol)\s+" + _NUMBER + r"\s*mg\s*/", t)
    if m is None:
        m = re.search(re.escape(ingredient) + r"[a-z ]*?\s" + _NUMBER + r"\s*mg\b", t)
    return float(m.group(1)) if m else None


def _partners(term: str) -> list[tuple[float, float]]:
    """(mg per tablet/capsule, maximum mg a day) of the other ingredients the name gives: paracetamol
    (co-codamol 30mg/500mg, Paracetamol 500mg / ...), ibuprofen, dexketoprofen."""
    t = term.lower()
    out: list[tuple[float, float]] = []
    m = re.search(r"co-(?:codamol|dydramol)\s+" + _NUMBER + r"\s*mg\s*/\s*" + _NUMBER + r"\s*mg", t)
    if m:
        out.append((float(m.group(2)), PARTNER_MAX_MG["paracetamol"]))
    for name, limit in PARTNER_MAX_MG.items():
        m = re.search(name + r"\s+" + _NUMBER + r"\s*mg\b", t)
        if m:
            out.append((float(m.group(1)), limit))
    return out


def _patch_mcg(dose: dict[str, str], term: str) -> float | None:
    if "patch_mcg_per_hour" in dose:
        return float(dose["patch_mcg_per_hour"])
    m = re.search(_NUMBER + r"\s*micrograms?\s*(?:/|per)\s*h", term.lower())
    return float(m.group(1)) if m else None


@dataclass(frozen=True)
class Dosage:
    """What a GP writes for one product: the dosage text and the quantities that go with it."""

    text: str
    max_per_day: float  # units (tablets, capsules, ml, patches) a day the text allows at most
    repeat: int  # one repeat issue: interval days' supply, never more than max_per_day * interval
    acute: int  # one acute issue
    interval: int = 28


# Each ladder is tried in order: the first dosage whose most a day keeps within the daily limits is used; a
# product no dosage of its ladder keeps within them is never issued.
LADDERS: dict[str, tuple[Dosage, ...]] = {
    "weak_ir": (
        Dosage("ONE or TWO four times a day when required", 8, 112, 56),
        Dosage("ONE or TWO three times a day when required", 6, 112, 42),
        Dosage("ONE four times a day when required", 4, 112, 28),
        Dosage("ONE three times a day when required", 3, 84, 21),
    ),
    "tramadol_ir": (
        Dosage("ONE or TWO up to four times a day when required", 8, 100, 30),
        Dosage("ONE up to four times a day when required", 4, 100, 28),
        Dosage("ONE up to three times a day when required", 3, 84, 21),
    ),
    "strong_ir": (
        Dosage("ONE every four to six hours when required", 6, 56, 20),
        Dosage("ONE four times a day when required", 4, 56, 20),
    ),
    "mr_12h": (Dosage("ONE twice a day", 2, 56, 14),),
    "mr_24h": (Dosage("ONE once a day", 1, 28, 7),),
    "gabapentin": (Dosage("ONE three times a day", 3, 84, 42),),
    "pregabalin": (Dosage("ONE twice a day", 2, 56, 28),),
    "other_oral": (Dosage("ONE twice a day", 2, 56, 28),),
    "liquid": (Dosage("2.5ml to 5ml every four hours when required", 30, 300, 100),),
    "substitution_liquid": (Dosage("40ml once a day (supervised consumption)", 40, 560, 560, 14),),
    "substitution_tablet": (Dosage("ONE once a day (supervised consumption)", 1, 14, 14, 14),),
    "suppository": (Dosage("ONE when required", 4, 12, 12),),
    "other": (Dosage("AS DIRECTED", 1, 10, 10),),
}
# Licensed adult maximum a day (BNF), mg of the ingredient. Strong opioids have no licensed maximum: every
# opioid is also held to STRONG_OPIOID_MAX_OME.
MAX_DAILY_MG: dict[str, float] = {
    "codeine": 240.0,
    "dihydrocodeine": 240.0,
    "tramadol": 400.0,
    "tapentadol": 500.0,  # modified-release; immediate-release 600 (MAX_DAILY_MG_IMMEDIATE)
    "gabapentin": 3600.0,
    "pregabalin": 600.0,
}
MAX_DAILY_MG_IMMEDIATE: dict[str, float] = {"tapentadol": 600.0}
# The other ingredient of a combination product, where its name gives the mg: its adult maximum a day.
PARTNER_MAX_MG: dict[str, float] = {"paracetamol": 4000.0, "ibuprofen": 2400.0, "dexketoprofen": 75.0}
# The most mg oral morphine a day a routine repeat prescription in primary care reaches (Opioids Aware calls
# 120 mg/day and over high dose; a few patients are above it, almost none above 200 mg/day).
STRONG_OPIOID_MAX_OME = 200.0
# Oral solutions issued for pain: the standard strengths only (morphine 10mg/5ml, oxycodone 5mg/5ml).
# Concentrates (morphine 20mg/ml, 100mg/5ml; oxycodone 10mg/ml), specials and other strengths are not.
ROUTINE_LIQUID_MG_PER_ML: dict[str, float] = {"morphine": 2.0, "oxycodone": 1.0}
SUBSTITUTION_LIQUID_MG_PER_ML: dict[str, float] = {"methadone": 1.0}  # methadone 1mg/ml, as dispensed daily


def max_daily_mg(ingredient: str, modified_release: bool) -> float | None:
    """The licensed adult maximum mg of `ingredient` a day, where there is one."""
    if not modified_release and ingredient in MAX_DAILY_MG_IMMEDIATE:
        return MAX_DAILY_MG_IMMEDIATE[ingredient]
    return MAX_DAILY_MG.get(ingredient)


def _within_limits(
    units: float,
    ingredient: str,
    mr: bool,
    strength: float | None,
    unit_ome: float | None,
    partners: list[tuple[float, float]],
) -> bool:
    """Whether `units` a day keep within the ingredient's maximum, its partners' and the OME ceiling."""
    limit = max_daily_mg(ingredient, mr)
    if strength is not None and limit is not None and units * strength > limit + 1e-9:
        return False
    if any(units * mg > most + 1e-9 for mg, most in partners):
        return False
    return unit_ome is None or units * unit_ome <= STRONG_OPIOID_MAX_OME + 1e-9


def _ladder(concept: str, form: str, ingredient: str, mr: bool, once_daily: bool) -> str:
    if form == "oral_liquid":
        return "substitution_liquid" if concept == "opioid_substitution" else "liquid"
    if form == "suppository":
        return "suppository"
    if form not in ("tablet", "capsule"):
        return "other"
    if concept == "opioid_substitution":
        return "substitution_tablet"
    if ingredient in ("gabapentin", "pregabalin"):
        return ingredient
    if mr:
        return "mr_24h" if once_daily else "mr_12h"
    if ingredient in ("codeine", "dihydrocodeine"):
        return "weak_ir"
    if ingredient == "tramadol":
        return "tramadol_ir"
    if ingredient in ("morphine", "oxycodone", "hydromorphone", "tapentadol"):
        return "strong_ir"
    return "other_oral"


def make_product(entry: codelists.CodeEntry, bnf_code: str, concept: str) -> Product:
    """Give a listed medicine the dosage text and quantities it would be issued with.

    The dosage follows the product (12-hourly modified-release twice a day, 24-hour products once a day, ...)
    and keeps within the ingredient's licensed maximum a day (MAX_DAILY_MG), its partners' (PARTNER_MAX_MG:
    paracetamol 4 g, ...) and STRONG_OPIOID_MAX_OME. Products that cannot be dosed so, whose strength is
    unknown, or that are not a plausible prescription for pain (packs, concentrates, mixtures, injections) get
    `issuable=False`; short-course products get `acute_only=True`.
    """
    dose = dict(entry.dose)
    term = entry.term
    t = term.lower()
    form = _form(dose.get("form"), term)
    ingredient = _ingredient(dose.get("ingredient"), term)
    strength = _strength(dose, ingredient, form, term) if form != "patch" else None
    mr = form in ("tablet", "capsule") and _modified_release(term)
    once = mr and _once_daily(term, ingredient, form, strength)
    unit_ome = None
    if "strength_mg" in dose and "ome_factor" in dose:
        unit_ome = float(dose["strength_mg"]) * float(dose["ome_factor"])
    patch_mcg = _patch_mcg(dose, term)
    issuable = _NOT_ISSUED.search(t) is None
    if form == "patch":
        hours = _patch_hours(dose, ingredient, term)
        per_28 = max(1, math.ceil(28 * 24 / hours))
        text = {
            168.0: "ONE patch to be applied every 7 days",
            96.0: "ONE patch to be applied twice a week",
            72.0: "ONE patch to be applied every 72 hours",
        }.get(hours, "ONE patch to be applied as directed")
        chosen = Dosage(text, 24 / hours, per_28, per_28)
        issuable = issuable and patch_mcg is not None
        if patch_mcg is not None and "ome_factor" in dose:
            issuable = issuable and patch_mcg * 24 / 1000 * float(dose["ome_factor"]) <= STRONG_OPIOID_MAX_OME
    else:
        ladder = LADDERS[_ladder(concept, form, ingredient, mr, once)]
        if concept in ("opioid", "gabapentinoid") and strength is None:
            issuable = False  # the daily dose cannot be shown to be within the limits
        if form == "oral_liquid":
            standards = (
                SUBSTITUTION_LIQUID_MG_PER_ML
                if concept == "opioid_substitution"
                else ROUTINE_LIQUID_MG_PER_ML
            )
            standard = standards.get(ingredient)
            if standard is None or strength is None or abs(strength - standard) > 1e-6:
                issuable = False
        partners = _partners(term)
        fits = [
            d for d in ladder if _within_limits(d.max_per_day, ingredient, mr, strength, unit_ome, partners)
        ]
        chosen = fits[0] if fits else ladder[-1]
        issuable = issuable and bool(fits)
    generic = "(" not in t and (t.startswith(ingredient) or t.startswith(("co-codamol", "co-dydramol")))
    return Product(
        code=entry.code,
        term=term,
        bnf_code=bnf_code,
        ingredient=ingredient,
        form=form,
        modified_release=mr,
        dosage=chosen.text,
        repeat_quantity=chosen.repeat,
        acute_quantity=chosen.acute,
        interval_days=chosen.interval,
        generic=generic,
        unit_ome=unit_ome,
        patch_mcg=patch_mcg,
        strength_mg=strength,
        max_per_day=chosen.max_per_day,
        once_daily=once,
        issuable=issuable,
        acute_only=_ACUTE_ONLY.search(t) is not None,
    )


@dataclass
class Pool:
    """Products to draw from, with their cumulative weights."""

    index: np.ndarray  # into CodeBook.products
    cumulative: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if n == 0 or len(self.index) == 0:
            return np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self.cumulative, rng.random(n) * self.cumulative[-1], side="right")
        return self.index[np.minimum(pos, len(self.index) - 1)]


GENERIC_PREFERENCE = 8.0  # a generic product is this many times likelier than one brand or supplier pack


def _product_weight(product: Product) -> float:
    """Relative chance of one product within its ingredient: generics and usual doses first.

    High-strength products are rarer (weight falls with the square of mg oral morphine per unit above ~20 mg,
    and of patch strength above ~25 micrograms/hour), so most long-term users land below 50 mg OME a day.
    """
    w = GENERIC_PREFERENCE if product.generic else 1.0
    if (
        "previous to" in product.term.lower()
    ):  # an inactive dm+d code kept for history ("VMP previous to ...")
        w *= 0.05
    if product.unit_ome is not None:
        w /= 1 + (product.unit_ome / 20) ** 2
    if product.patch_mcg is not None:
        w /= 1 + (product.patch_mcg / 25) ** 2
    return w


def _pool(
    products: list[Product],
    candidates: list[int],
    weights: dict[str, float],
    *,
    forms: frozenset[str] | None = None,
    mr_bias: float = 1.0,
    repeat: bool = True,
) -> Pool:
    """Issuable products of the weighted ingredients and forms; a repeat pool leaves out acute-only ones."""
    chosen = [
        i
        for i in candidates
        if products[i].ingredient in weights
        and (forms is None or products[i].form in forms)
        and products[i].issuable
        and not (repeat and products[i].acute_only)
    ]
    raw = [_product_weight(products[i]) * (mr_bias if products[i].modified_release else 1.0) for i in chosen]
    within: dict[str, float] = {}
    for i, r in zip(chosen, raw, strict=True):
        within[products[i].ingredient] = within.get(products[i].ingredient, 0.0) + r
    w = np.array(
        [
            weights[products[i].ingredient] * r / within[products[i].ingredient]
            for i, r in zip(chosen, raw, strict=True)
        ],
        dtype=float,
    )
    return Pool(index=np.array(chosen, dtype=np.int64), cumulative=np.cumsum(w))


@dataclass
class CodeBook:
    """Clinical codes (one table, indexed) and medicines (one table, indexed) for one coding."""

    coding: str
    medication_system: str
    clinical_codes: list[str] = field(default_factory=list)
    clinical_terms: list[str] = field(default_factory=list)
    concept_codes: dict[str, np.ndarray] = field(default_factory=dict)  # concept -> clinical indices
    noise_index: dict[str, int] = field(default_factory=dict)  # noise key -> clinical index
    noise_values: dict[int, str] = field(default_factory=dict)  # clinical index -> numeric kind
    noise_draw: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    noise_cumulative: np.ndarray = field(default_factory=lambda: np.zeros(0))
    fit_note_codes: dict[str, np.ndarray] = field(default_factory=dict)  # fitness -> clinical indices
    products: list[Product] = field(default_factory=list)
    pools: dict[str, Pool] = field(default_factory=dict)
    noise_medicines: dict[str, int] = field(default_factory=dict)  # key -> product index
    lists_used: dict[str, str] = field(default_factory=dict)  # concept/system -> sha256
    warnings: list[str] = field(default_factory=list)

    def has(self, concept: str) -> bool:
        return len(self.concept_codes.get(concept, ())) > 0

    def pool(self, name: str) -> Pool:
        return self.pools.get(name) or Pool(np.zeros(0, dtype=np.int64), np.zeros(0))

    def _add_clinical(self, code: str, term: str) -> int:
        self.clinical_codes.append(code)
        self.clinical_terms.append(term)
        return len(self.clinical_codes) - 1

    @classmethod
    def load(cls, options: SynthOptions) -> CodeBook:
        root = Path(options.code_lists_dir) if options.code_lists_dir else codelists.code_lists_dir()
        # Warnings name the folder as given, never the install path, so extract.json is the same anywhere.
        where = str(options.code_lists_dir) if options.code_lists_dir else "the packaged code_lists/"
        book = cls(coding=options.coding, medication_system=options.medication_system)
        lists = _load_lists(root, book.warnings, {options.coding, options.medication_system})
        clinical_lists: list[CodeList] = []
        for concept, what in CLINICAL_CONCEPTS.items():
            cl = lists.get(f"{concept}/{options.coding}")
            if cl is None:
                book.warnings.append(
                    f"code list {concept}/{options.coding} not found in {where}: no {what} generated"
                )
                book.concept_codes[concept] = np.zeros(0, dtype=np.int64)
                continue
            clinical_lists.append(cl)
            book.lists_used[cl.name] = cl.sha256
            book.concept_codes[concept] = np.array(
                [book._add_clinical(e.code, e.term) for e in cl.entries], dtype=np.int64
            )
        if book.has("fit_note"):
            idx = book.concept_codes["fit_note"]
            fitness = [e.fitness for e in lists[f"fit_note/{options.coding}"].entries]
            # The list's fitness column says what a code records. A "not fit" note draws any code that is not
            # "may be fit"; a "may be fit" note draws the "may be fit" codes (Read v2 has none: any code).
            pairs = list(zip(idx, fitness, strict=True))
            may = np.array([i for i, f in pairs if f == "may_be_fit"], dtype=np.int64)
            unfit = np.array([i for i, f in pairs if f != "may_be_fit"], dtype=np.int64)
            book.fit_note_codes = {
                "may_be_fit": may if len(may) else idx,
                "not_fit": unfit if len(unfit) else idx,
            }
        # Routine codes, less any a loaded list of this system would match.
        draw, weights = [], []
        for nc in noise.CLINICAL:
            code = getattr(nc, options.coding)
            if any(cl.matches(code) for cl in clinical_lists):
                continue
            i = book._add_clinical(code, nc.term)
            book.noise_index[nc.key] = i
            if nc.value:
                book.noise_values[i] = nc.value
            if nc.weight > 0:
                draw.append(i)
                weights.append(nc.weight)
        book.noise_draw = np.array(draw, dtype=np.int64)
        book.noise_cumulative = np.cumsum(np.array(weights, dtype=float))
        book._load_medicines(lists, where)
        return book

    def _load_medicines(self, lists: dict[str, CodeList], where: str) -> None:
        system = self.medication_system
        members: dict[str, list[int]] = {}
        for concept, what in MEDICATION_CONCEPTS.items():
            cl = lists.get(f"{concept}/{system}")
            if cl is None:
                self.warnings.append(
                    f"code list {concept}/{system} not found in {where}: no {what} generated"
                )
                members[concept] = []
                continue
            self.lists_used[cl.name] = cl.sha256
            bnf = _bnf_codes(cl.csv_path) if system == CodeSystem.dmd.value else {}
            members[concept] = []
            for e in cl.entries:
                self.products.append(make_product(e, bnf.get(e.code, ""), concept))
                members[concept].append(len(self.products) - 1)
        p = self.products
        opioid = members["opioid"]
        weak_forms = frozenset({"tablet", "capsule"})
        self.pools = {
            "weak": _pool(p, opioid, POOL_WEIGHTS["weak"], forms=weak_forms),
            "weak_acute": _pool(p, opioid, POOL_WEIGHTS["weak"], forms=weak_forms, repeat=False),
            "strong": _pool(p, opioid, POOL_WEIGHTS["strong"], forms=_ORAL, mr_bias=4.0),
            "strong_acute": _pool(
                p, opioid, {"morphine": 70, "oxycodone": 30}, forms=_ORAL, mr_bias=0.1, repeat=False
            ),
            "patch": _pool(p, opioid, POOL_WEIGHTS["patch"], forms=frozenset({"patch"})),
            "gabapentinoid": _pool(
                p, members["gabapentinoid"], POOL_WEIGHTS["gabapentinoid"], forms=weak_forms
            ),
            "substitution": _pool(
                p, members["opioid_substitution"], POOL_WEIGHTS["substitution"], forms=_ORAL
            ),
        }
        # Routine medicines, less any that a code list would match by its code or by its BNF code (the search
        # matches an issue both ways): every list of the medication system and every BNF list is checked. A
        # list that drops one is recorded in lists_used, as it shaped the extract.
        by_code = [cl for _, cl in sorted(lists.items()) if cl.meta.code_system.value == system]
        by_bnf = [cl for _, cl in sorted(lists.items()) if cl.meta.code_system == CodeSystem.bnf]
        for m in noise.MEDICINES:
            code = m.dmd if system == "dmd" else m.readv2
            bnf_code = m.bnf if system == "dmd" else ""
            hit = next((cl for cl in by_code if cl.matches(code)), None)
            if hit is None and bnf_code:
                hit = next((cl for cl in by_bnf if cl.matches(bnf_code)), None)
            if hit is not None:
                self.lists_used[hit.name] = hit.sha256
                continue
            self.products.append(
                Product(
                    code=code,
                    term=m.term,
                    bnf_code=bnf_code,
                    ingredient=m.key,
                    form="tablet",
                    modified_release=False,
                    dosage=m.dosage,
                    repeat_quantity=m.quantity,
                    acute_quantity=m.quantity,
                    interval_days=28,
                )
            )
            self.noise_medicines[m.key] = len(self.products) - 1


def _load_lists(root: Path, warnings: list[str], systems: set[str]) -> dict[str, CodeList]:
    """Every list under `root` via codelists.load_all; if one cannot be read (a list mid-edit), load the lists
    one by one and skip the unreadable ones with a warning rather than fail the whole run."""
    if not root.is_dir():
        return {}
    try:
        return codelists.load_all(root)
    except InputError:
        pass
    lists: dict[str, CodeList] = {}
    for csv_path in sorted(root.glob("*/*.csv")):
        if csv_path.name.endswith(".left_out.csv"):
            continue
        try:
            cl = codelists.load_code_list(csv_path)
        except InputError as exc:
            if csv_path.stem in systems:
                warnings.append(f"code list {csv_path.parent.name}/{csv_path.stem} cannot be read ({exc})")
            continue
        lists[cl.name] = cl
    return lists


def _bnf_codes(csv_path: Path) -> dict[str, str]:
    """The optional bnf_code column of a dm+d list (as OpenSAFELY lists carry it), keyed by code."""
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "bnf_code" not in reader.fieldnames:
            return {}
        return {(r.get("code") or "").strip(): (r.get("bnf_code") or "").strip() for r in reader}
