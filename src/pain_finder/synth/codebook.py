"""The codes a synthetic practice draws from: the project's code lists for its coding, plus routine codes.

`CodeBook.load(options)` reads the code lists at run time (`codelists.load_all`), so a list added or changed
under code_lists/ is picked up by the next run. A concept whose list does not exist yet for the chosen
system is skipped: nothing of that concept is generated, and a warning says so.

Everything here is ordered (lists sorted by name, entries in file order), so the same lists give the same
indices and the same random draws.
"""

from __future__ import annotations

import csv
import math
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
    patch_mcg: float | None = None  # micrograms/hour of a patch, where the list says


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


def _modified_release(term: str) -> bool:
    t = f" {term.lower()} "
    return any(
        s in t
        for s in (
            "modified-release",
            "prolonged-release",
            "m/r",
            " mr ",
            " sr ",
            " xl ",
            "12 hour",
            "24 hour",
            "retard",
            "continus",
        )
    )


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


def make_product(entry: codelists.CodeEntry, bnf_code: str, concept: str) -> Product:
    """Give a listed medicine the dosage text and quantities it would be issued with."""
    dose = dict(entry.dose)
    form = _form(dose.get("form"), entry.term)
    ingredient = _ingredient(dose.get("ingredient"), entry.term)
    mr = _modified_release(entry.term)
    interval = 28
    if form == "patch":
        hours = _patch_hours(dose, ingredient, entry.term)
        per_28 = max(1, math.ceil(28 * 24 / hours))
        dosage = {
            168.0: "ONE patch to be applied every 7 days",
            96.0: "ONE patch to be applied twice a week",
            72.0: "ONE patch to be applied every 72 hours",
        }.get(hours, "ONE patch to be applied as directed")
        repeat, acute = per_28, per_28
    elif form == "oral_liquid":
        if concept == "opioid_substitution":
            dosage, repeat, acute, interval = "40ml once a day (supervised consumption)", 560, 560, 14
        else:
            dosage, repeat, acute = "2.5ml to 5ml every four hours when required", 300, 100
    elif form in ("tablet", "capsule"):
        if concept == "opioid_substitution":
            dosage, repeat, acute, interval = "ONE once a day (supervised consumption)", 14, 14, 14
        elif ingredient == "gabapentin":
            dosage, repeat, acute = "ONE three times a day", 84, 42
        elif ingredient == "pregabalin" or mr:
            dosage, repeat, acute = "ONE twice a day", 56, 28
        elif ingredient in ("codeine", "dihydrocodeine"):
            dosage, repeat, acute = "ONE or TWO four times a day when required", 112, 56
        elif ingredient == "tramadol":
            dosage, repeat, acute = "ONE or TWO up to four times a day when required", 100, 30
        elif ingredient in ("morphine", "oxycodone", "hydromorphone", "tapentadol"):
            dosage, repeat, acute = "ONE every four to six hours when required", 56, 20
        else:
            dosage, repeat, acute = "ONE twice a day", 56, 28
    elif form == "suppository":
        dosage, repeat, acute = "ONE when required", 12, 12
    else:
        dosage, repeat, acute = "AS DIRECTED", 10, 10
    term = entry.term.lower()
    generic = "(" not in term and (
        term.startswith(ingredient) or term.startswith(("co-codamol", "co-dydramol"))
    )
    unit_ome = None
    if "strength_mg" in dose and "ome_factor" in dose:
        unit_ome = float(dose["strength_mg"]) * float(dose["ome_factor"])
    patch_mcg = float(dose["patch_mcg_per_hour"]) if "patch_mcg_per_hour" in dose else None
    return Product(
        code=entry.code,
        term=entry.term,
        bnf_code=bnf_code,
        ingredient=ingredient,
        form=form,
        modified_release=mr,
        dosage=dosage,
        repeat_quantity=repeat,
        acute_quantity=acute,
        interval_days=interval,
        generic=generic,
        unit_ome=unit_ome,
        patch_mcg=patch_mcg,
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
) -> Pool:
    chosen = [
        i
        for i in candidates
        if products[i].ingredient in weights and (forms is None or products[i].form in forms)
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
            terms = [book.clinical_terms[i].lower() for i in idx]
            may = np.array([i for i, t in zip(idx, terms, strict=True) if "may be fit" in t], dtype=np.int64)
            # Not fit: codes that say so, and plain "Med3 issued" ones (not "may be fit", not "back to work").
            unfit = np.array(
                [
                    i
                    for i, t in zip(idx, terms, strict=True)
                    if "not fit" in t
                    or not any(s in t for s in ("may be fit", "fit for work", "back to work"))
                ],
                dtype=np.int64,
            )
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
        med_lists: list[CodeList] = []
        members: dict[str, list[int]] = {}
        for concept, what in MEDICATION_CONCEPTS.items():
            cl = lists.get(f"{concept}/{system}")
            if cl is None:
                self.warnings.append(
                    f"code list {concept}/{system} not found in {where}: no {what} generated"
                )
                members[concept] = []
                continue
            med_lists.append(cl)
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
            "strong": _pool(p, opioid, POOL_WEIGHTS["strong"], forms=_ORAL, mr_bias=4.0),
            "strong_acute": _pool(p, opioid, {"morphine": 70, "oxycodone": 30}, forms=_ORAL, mr_bias=0.1),
            "patch": _pool(p, opioid, POOL_WEIGHTS["patch"], forms=frozenset({"patch"})),
            "gabapentinoid": _pool(
                p, members["gabapentinoid"], POOL_WEIGHTS["gabapentinoid"], forms=weak_forms
            ),
            "substitution": _pool(
                p, members["opioid_substitution"], POOL_WEIGHTS["substitution"], forms=_ORAL
            ),
        }
        for m in noise.MEDICINES:
            code = m.dmd if system == "dmd" else m.readv2
            if any(cl.matches(code) for cl in med_lists):
                continue
            self.products.append(
                Product(
                    code=code,
                    term=m.term,
                    bnf_code=m.bnf if system == "dmd" else "",
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
