"""Common codes that must NOT match a concept: the over-breadth guard for prefix rows.

A Read v2 or BNF row with include_descendants matches every code that starts with it, so a prefix one level
too short silently pulls in products or diagnoses that are not the concept: `1001010J0` (the BNF chemical
ibuprofen) once made every plain ibuprofen prescription an opioid. Each row below is an everyday code that
sits next to a concept (same BNF chemical or paragraph, same Read v2 heading, a look-alike condition) and
says why it is not that concept.

The codes go through the search's own matching: the packaged code lists are loaded into the `codelist` table
by `search.load_codelist_table`, a tiny raw extract holding these codes is staged by the real staging steps,
and the SQL steps `int_medication_codes` + `int_medication_matches` (medication issues, matched by their own
code and by their BNF code) and `int_clinical_codes` (clinical events) are run on it. `CodeList.matches`
(used by `pain-finder codes search` and the synthetic-data generator) is checked too. Positive controls
beside them must match, so the tests cannot pass vacuously.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import duckdb
import pytest

from pain_finder import sql_files
from pain_finder.codelists import load_all
from pain_finder.search import load_codelist_table

AS_OF = dt.date(2024, 6, 30)
LISTS = load_all()

MEDICATION_CONCEPTS = ("opioid", "gabapentinoid", "opioid_substitution")
CHRONIC = ("chronic_pain_condition",)
PAIN = ("chronic_pain_condition", "pain_condition")


class Med(NamedTuple):
    """A medication issue: its own code (with code system) and, for dm+d issues, the BNF code it carries."""

    not_in: tuple[str, ...]
    code_system: str
    code: str
    bnf_code: str | None
    why: str


class Clin(NamedTuple):
    not_in: tuple[str, ...]
    code_system: str
    code: str
    why: str


NEGATIVE_MEDICATIONS: list[Med] = [
    # --- BNF chemical 1001010J0 is ibuprofen: only some of its presentations contain codeine
    Med(
        MEDICATION_CONCEPTS,
        "dmd",
        "329652003",
        "1001010J0AAADAD",
        "Ibuprofen 400mg tablets: a plain NSAID. Its BNF code starts with 1001010J0 (the chemical "
        "ibuprofen), which ibuprofen+codeine shares; only the ibuprofen+codeine presentations are opioids",
    ),
    Med(
        MEDICATION_CONCEPTS,
        "bnf",
        "1001010J0AAADAD",
        None,
        "Ibuprofen 400mg tablets recorded by BNF code alone (e.g. prescribing data): still not an opioid",
    ),
    Med(
        MEDICATION_CONCEPTS, "readv2", "j212.", None, "Ibuprofen 400mg tablets (Read v2 drug code): an NSAID"
    ),
    # --- paracetamol and its non-opioid combinations
    Med(
        MEDICATION_CONCEPTS,
        "dmd",
        "322236009",
        "0407010H0AAAMAM",
        "Paracetamol 500mg tablets: a non-opioid analgesic in 4.7.1, beside the co-codamol/co-dydramol "
        "chemicals",
    ),
    Med(
        MEDICATION_CONCEPTS,
        "readv2",
        "di11.",
        None,
        "Paracetamol 500mg tablets (Read v2): di1 is paracetamol, not the compound headings dia/dib/dic",
    ),
    Med(
        MEDICATION_CONCEPTS,
        "bnf",
        "0407010X0CDAFA0",
        None,
        "A Boots cold and flu capsule: BNF chemical 0407010X0 is 'paracetamol combined preparations', which "
        "holds non-opioid combinations beside paracetamol+codeine (Solpadeine Plus etc.)",
    ),
    # --- other everyday analgesics and co-analgesics
    Med(
        MEDICATION_CONCEPTS,
        "bnf",
        "1001010P0AAADAD",
        None,
        "A naproxen tablet (BNF chemical 1001010P0 naproxen, a sibling of ibuprofen in 10.1.1): an NSAID",
    ),
    Med(
        MEDICATION_CONCEPTS,
        "bnf",
        "0403010B0AAAGAG",
        None,
        "An amitriptyline tablet (BNF chemical 0403010B0, tricyclic antidepressant): used for neuropathic "
        "pain but neither an opioid nor a gabapentinoid",
    ),
    Med(
        MEDICATION_CONCEPTS,
        "bnf",
        "0403040X0AAAAAA",
        None,
        "A duloxetine capsule (BNF chemical 0403040X0, an SNRI): used for neuropathic pain but neither an "
        "opioid nor a gabapentinoid",
    ),
    Med(
        ("gabapentinoid",),
        "bnf",
        "0407030ADAAAAAA",
        None,
        "Gabapentin 6% gel (topical special at 0407030AD): not the oral gabapentinoid chemical 0408010G0",
    ),
    # --- an unrelated everyday medicine
    Med(
        MEDICATION_CONCEPTS,
        "dmd",
        "317896006",
        "0513010V0AAABAB",
        "Nitrofurantoin 100mg modified-release capsules: an antibiotic (BNF 5.1.13)",
    ),
    # --- opioids that are not prescribed for pain
    Med(
        ("opioid", "opioid_substitution"),
        "dmd",
        "15065911000001106",
        "0309010C0AAAAAA",
        "Codeine 15mg/5ml linctus: a cough suppressant (BNF 3.9.1), not an analgesic",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "readv2",
        "cg11.",
        None,
        "CODEINE 15mg/5mL linctus (Read v2 cough chapter c): not under the codeine analgesic heading dj4..",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "bnf",
        "0104020L0AAAAAA",
        None,
        "Loperamide capsules (BNF 1.4.2 antimotility, chemical 0104020L0): an opioid-receptor "
        "antidiarrhoeal, not an analgesic",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "dmd",
        "14610811000001109",
        "0104020N0AAABAB",
        "Kaolin and Morphine mixture: an antidiarrhoeal (BNF 1.4.2) although it contains morphine",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "readv2",
        "a842.",
        None,
        "KAOLIN & MORPHINE mixture (Read v2 gastro-intestinal chapter a): antidiarrhoeal",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "dmd",
        "4367311000001106",
        None,
        "Morphine 1mg/5ml / Peppermint oil oral solution (generic J Collis Browne's mixture): a gut "
        "antispasmodic/antidiarrhoeal (BNF 1.2 in CPRD GOLD), not an analgesic",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "dmd",
        "5238811000001109",
        None,
        "Chloroform and Morphine tincture (chlorodyne): an old remedy for diarrhoea and colic, not an "
        "analgesic",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "dmd",
        "8001811000001105",
        None,
        "Ethylmorphine 1.5mg/5ml oral solution (generic Collins elixir): a cough suppressant, not an "
        "analgesic",
    ),
    Med(
        ("opioid",),
        "dmd",
        "36120711000001104",
        "0410030C0AAAAAA",
        "Methadone 1mg/ml oral solution: opioid substitution for dependence (BNF 4.10.3, 0410030), counted "
        "by opioid_substitution, never as an opioid for pain",
    ),
    Med(
        ("opioid",),
        "bnf",
        "0410030C0AAAAAA",
        None,
        "A BNF 4.10.3 (0410030) opioid-dependence presentation recorded by BNF code alone",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "bnf",
        "0407041A0AAAGAG",
        None,
        "Generic Migraleve Pink tablets: antimigraine compound (BNF 4.7.4.1); migraine is outside the pain "
        "definition, and 040704 is not under the 040702 prefix",
    ),
    Med(
        ("opioid", "opioid_substitution"),
        "bnf",
        "1501043A0AAABAB",
        None,
        "Alfentanil injection (BNF 15.1.4.3): an anaesthetic opioid, not prescribed for pain in primary care",
    ),
]

NEGATIVE_CLINICAL: list[Clin] = [
    # --- acute pain: not evidence of chronic pain, and not counted towards persistence either
    Clin(PAIN, "snomedct", "278862001", "Acute low back pain: says acute"),
    Clin(PAIN, "snomedct", "161891005", "Acute back pain - unspecified: says acute"),
    Clin(PAIN, "snomedct", "213299007", "Post-operative pain: acute, post-procedural"),
    Clin(PAIN, "snomedct", "193183000", "Acute painful diabetic neuropathy: says acute"),
    Clin(PAIN, "snomedct", "102587001", "Acute chest pain: acute, and chest pain is out of scope"),
    Clin(PAIN, "snomedct", "157297008", "Sprain of ankle joint: an acute injury"),
    Clin(
        PAIN,
        "readv2",
        "F3720",
        "Acute painful diabetic neuropathy (Read v2): says acute; F372. is not a prefix",
    ),
    Clin(PAIN, "ctv3", "Xa0sM", "Acute low back pain (CTV3): says acute"),
    Clin(PAIN, "ctv3", "X75rz", "Acute back pain with sciatica (CTV3): says acute"),
    Clin(PAIN, "ctv3", "SP2y2", "Postoperative pain (CTV3): acute, post-procedural"),
    # --- out-of-scope pain
    Clin(PAIN, "readv2", "1B1G.", "Headache: headache/migraine is outside the study's pain definition"),
    Clin(PAIN, "ctv3", "1B1G.", "Headache (& [C/O]) (CTV3): out of scope"),
    Clin(PAIN, "snomedct", "103006007", "Unilateral headache: out of scope"),
    Clin(PAIN, "readv2", "1969.", "Abdominal pain: visceral pain is out of scope"),
    # --- everyday acute illness
    Clin(PAIN, "readv2", "H05z.", "Upper respiratory infection NOS: acute infection"),
    Clin(PAIN, "readv2", "H03..", "Acute tonsillitis: acute infection"),
    Clin(PAIN, "readv2", "K190.", "Urinary tract infection, site not specified: acute infection"),
    Clin(PAIN, "snomedct", "68566005", "Urinary tract infectious disease: acute infection"),
    # --- pain codes that need persistence: in pain_condition, not chronic by themselves
    Clin(CHRONIC, "readv2", "N142.", "Pain in lumbar spine: counts only with 90 days' persistence"),
    Clin(CHRONIC, "readv2", "16C2.", "Backache: counts only with 90 days' persistence"),
    Clin(CHRONIC, "snomedct", "279039007", "Low back pain: counts only with 90 days' persistence"),
    # --- children of prefixed or formerly prefixed Read v2 headings that no consulted list holds
    Clin(
        ("pain_condition",),
        "readv2",
        "16A1.",
        "A child of the symptom heading 16A.. 'Stiff neck symptom' that no consulted list holds (symptom "
        "headings can also hold absence findings): 16A.. is an exact row, only 16A.., 16A2., 16AZ. count",
    ),
    # --- fit notes: other certificates
    Clin(("fit_note",), "readv2", "9D2..", "MED5 - doctor's special statement: not a fit note"),
    Clin(("fit_note",), "readv2", "9DF0.", "MED4 - issued to patient: not a fit note"),
    Clin(("fit_note",), "readv2", "9D5..", "Private sickness certificate: not a statutory fit note"),
    Clin(("fit_note",), "snomedct", "1351000000105", "Med3 certificate not issued to patient"),
    Clin(("fit_note",), "snomedct", "775221000000101", "MED3 (2010) certificate not issued to patient"),
    # --- fit notes: not a fit note being issued (GP review 2026-11-23)
    Clin(("fit_note",), "snomedct", "14241000000101", "Med3 issued - back to work: not incapacity"),
    Clin(("fit_note",), "ctv3", "XaEF4", "MED3 issued - back to work (CTV3): not incapacity"),
    Clin(("fit_note",), "snomedct", "5121000000100", "Med3 certification status: a status, not an issue"),
    Clin(("fit_note",), "ctv3", "XaBHd", "MED3 status (CTV3): a status, not a fit note being issued"),
    Clin(("fit_note",), "ctv3", "Y1712", "Duration of sickness certificate (Days): an attribute"),
    Clin(("fit_note",), "ctv3", "Y08c1", "Duration of sickness certificate (Weeks): an attribute"),
    Clin(("fit_note",), "ctv3", "Y08c2", "Duration of sickness certificate (Months): an attribute"),
    Clin(("fit_note",), "ctv3", "Y0898", "Recorded cause of certified sickness absence: an attribute"),
    Clin(("fit_note",), "ctv3", "Y0d09", "MED3 - Specified conditions: an attribute of the certificate"),
    # --- review flags and exclusions: look-alikes
    Clin(("substance_misuse",), "readv2", "137R.", "Current smoker: tobacco is not substance misuse"),
    Clin(
        ("severe_mental_illness",),
        "readv2",
        "E2B..",
        "Depressive disorder NEC: not a psychotic or bipolar disorder",
    ),
    Clin(("cancer",), "readv2", "B33..", "Non-melanoma skin cancer heading: left out of cancer, as in QOF"),
    # --- opioid_dependence: only dependence and its treatment (GP review 2026-11-23); these are flagged by
    # substance_misuse instead (positive controls below)
    Clin(("opioid_dependence",), "snomedct", "216469009", "Accidental poisoning by opium: acute event"),
    Clin(
        ("opioid_dependence",),
        "snomedct",
        "145121000119106",
        "Intravenous nondependent harmful pattern of use of opioid: says nondependent",
    ),
    Clin(
        ("opioid_dependence",),
        "snomedct",
        "20385005",
        "Opioid-induced psychotic disorder with delusions: not stated as due to dependence",
    ),
    Clin(("opioid_dependence",), "snomedct", "191909007", "Nondependent opioid abuse: says nondependent"),
    Clin(
        ("opioid_dependence",),
        "snomedct",
        "1264554000",
        "Signs of opioid withdrawal on naloxone challenge test: withdrawal follows prescribed opioids too",
    ),
    Clin(("opioid_dependence",), "snomedct", "230443000", "Narcotic withdrawal epilepsy: withdrawal"),
    Clin(("opioid_dependence",), "snomedct", "277221000000102", "History of daily heroin misuse: history"),
    Clin(("opioid_dependence",), "snomedct", "276981000000107", "History of opiate misuse: misuse history"),
    Clin(("opioid_dependence",), "snomedct", "202991000000100", "Heroin misuse: not stated dependence"),
    Clin(("opioid_dependence",), "snomedct", "295174006", "Heroin overdose: an acute event, not dependence"),
    Clin(
        ("opioid_dependence",),
        "snomedct",
        "23961000087102",
        "Opioid dependency management specialty: a specialty name, not a record about the patient",
    ),
    Clin(("opioid_dependence",), "readv2", "Eu11.", "F11 heading: any opioid disorder, incl. intoxication"),
    Clin(("opioid_dependence",), "readv2", "Eu111", "Opioids: harmful use (F11.1), not dependence"),
    Clin(("opioid_dependence",), "readv2", "Eu115", "Opioids: psychotic disorder (F11.5), not dependence"),
    Clin(("opioid_dependence",), "readv2", "Eu11z", "Opioids: unspecified disorder (F11.9), not dependence"),
    Clin(("opioid_dependence",), "ctv3", "Eu11z", "Opioids: unspecified disorder (CTV3), not dependence"),
    Clin(("opioid_dependence",), "ctv3", "Eu114", "Opioids: withdrawal state with delirium (CTV3)"),
    # --- pregnancy: gravidity and parity are obstetric-history attributes, not a current pregnancy
    Clin(("pregnancy",), "snomedct", "127365008", "Gravida 2: number of pregnancies, obstetric history"),
    Clin(("pregnancy",), "snomedct", "127373004", "Gravida 10: number of pregnancies, obstetric history"),
    Clin(("pregnancy",), "snomedct", "161732006", "Gravida (observable): number of pregnancies"),
    Clin(("pregnancy",), "snomedct", "127364007", "Primigravida: gravidity, recorded outside pregnancy too"),
    Clin(("pregnancy",), "snomedct", "102876002", "Multigravida: gravidity, recorded outside pregnancy too"),
    Clin(("pregnancy",), "readv2", "Z221.", "Primigravida (Read v2): gravidity, obstetric history"),
    Clin(("pregnancy",), "readv2", "Z223.", "Primiparous (Read v2): parity, births already given"),
    Clin(("pregnancy",), "readv2", "ZV616", "[V]Multiparity (Read v2): parity, not a current pregnancy"),
    Clin(("pregnancy",), "ctv3", "153..", "Gravida (CTV3): number of pregnancies, obstetric history"),
    # --- dementia: Korsakov / amnestic syndromes and alcoholic psychosis are not dementia (QOF DEM_COD)
    Clin(("dementia",), "readv2", "E0111", "Korsakov's psychosis with peripheral neuritis: amnestic"),
    Clin(("dementia",), "readv2", "E0110", "Korsakov's alcoholic psychosis: amnestic syndrome (F10.6)"),
    Clin(("dementia",), "readv2", "Eu106", "Alcohol: amnesic syndrome (F10.6), not alcohol-related dementia"),
    Clin(("dementia",), "readv2", "E040.", "Non-alcoholic amnestic syndrome: not dementia, not in DEM_COD"),
    Clin(("dementia",), "ctv3", "E0111", "Korsakov's alcoholic psychosis with peripheral neuritis (CTV3)"),
    Clin(("dementia",), "snomedct", "191471000", "Korsakov's alcoholic psychosis with peripheral neuritis"),
    Clin(("dementia",), "snomedct", "69482004", "Korsakoff's psychosis: amnestic syndrome, not in DEM_COD"),
    Clin(("dementia",), "snomedct", "42344001", "Alcohol-induced psychosis: a psychotic disorder"),
    Clin(("dementia",), "snomedct", "268745002", "Alcoholic psychosis or alcohol withdrawal grouping"),
]

POSITIVE_MEDICATIONS: list[tuple[str, str, str, str | None, str]] = [
    # (concept, code_system, code, bnf_code, what): these must match, so the negatives cannot pass vacuously
    ("opioid", "bnf", "1001010J0B4AKAY", None, "Nurofen Plus tablets (ibuprofen+codeine)"),
    ("opioid", "bnf", "1001010J0AAAYAY", None, "Ibuprofen 200mg / Codeine 12.8mg tablets"),
    ("opioid", "bnf", "1001010J0AAARAR", None, "Ibuprofen 300mg modified-release / Codeine 20mg tablets"),
    ("opioid", "bnf", "0407010X0BMAAAJ", None, "Solpadeine Plus tablets (paracetamol/codeine/caffeine)"),
    ("opioid", "bnf", "0407010W0BHAAAD", None, "Codis 500 dispersible tablets (aspirin/codeine)"),
    ("opioid", "bnf", "0407010F0AAAHAH", None, "Co-codamol 30mg/500mg tablets"),
    ("opioid", "bnf", "0407020A0AAAEAE", None, "Fentanyl 25micrograms/hour patches"),
    ("opioid", "dmd", "42104611000001105", None, "Ibuprofen 200mg / Codeine 12.8mg tablets (dm+d)"),
    ("opioid", "readv2", "j28I.", None, "NUROFEN PLUS tablets (Read v2)"),
    ("gabapentinoid", "bnf", "0408010G0AAABAB", None, "Gabapentin 300mg capsules"),
    ("opioid_substitution", "dmd", "36120711000001104", None, "Methadone 1mg/ml oral solution"),
]

POSITIVE_CLINICAL: list[tuple[str, str, str, str]] = [
    ("chronic_pain_condition", "readv2", "1M52.", "Chronic pain"),
    ("chronic_pain_condition", "snomedct", "82423001", "Chronic pain"),
    ("pain_condition", "readv2", "N142.", "Pain in lumbar spine"),
    ("pain_condition", "readv2", "16A2.", "Stiff neck"),
    ("pain_condition", "readv2", "N05z9", "Osteoarthritis NOS, of shoulder (under N05..)"),
    ("fit_note", "readv2", "9D11.", "MED3 issued to patient"),
    # GP review 2026-11-23: what stays in, and where the removed codes are still seen
    ("fit_note", "snomedct", "751601000000107", "eMED3 (2010) new statement issued, may be fit for work"),
    ("fit_note", "ctv3", "XaXf3", "MED3 (2010) issued - recommend phased return to work"),
    ("opioid_dependence", "snomedct", "75544000", "Opioid dependence"),
    ("opioid_dependence", "snomedct", "191821007", "Opioid dependence in remission (kept on purpose)"),
    ("opioid_dependence", "snomedct", "304681000000107", "Opioid agonist substitution therapy"),
    ("opioid_dependence", "readv2", "E2403", "Opioid dependence in remission (under E240..)"),
    ("opioid_dependence", "readv2", "Eu112", "Opioids: dependence syndrome"),
    ("opioid_dependence", "ctv3", "Eu112", "Opioids: dependence syndrome (CTV3)"),
    ("substance_misuse", "snomedct", "216469009", "Accidental poisoning by opium (flag only)"),
    ("substance_misuse", "snomedct", "202991000000100", "Heroin misuse (flag, not exclusion)"),
    ("substance_misuse", "readv2", "Eu11z", "Opioids: unspecified disorder (flag, under Eu11.)"),
    ("pregnancy", "snomedct", "127363001", "Number of pregnancies, currently pregnant"),
    ("pregnancy", "snomedct", "169605007", "Antenatal care: multiparous, older than 35 years"),
    ("pregnancy", "ctv3", "6285.", "A/N care: multiparous, older than 35 years"),
    ("dementia", "readv2", "E012.", "Other alcoholic dementia (alcohol-related dementia stays)"),
    ("dementia", "snomedct", "281004", "Dementia associated with alcoholism (in QOF DEM_COD)"),
    ("substance_misuse", "readv2", "E0111", "Korsakov's alcoholic psychosis (flag, under E01..)"),
    ("substance_misuse", "ctv3", "Eu106", "Korsakov's psychosis, alcohol-induced (flag)"),
    ("substance_misuse", "snomedct", "191471000", "Korsakov's psychosis with peripheral neuritis (flag)"),
]


def _med_rows() -> list[tuple[str, str, str | None]]:
    rows = [(m.code_system, m.code, m.bnf_code) for m in NEGATIVE_MEDICATIONS]
    rows += [(system, code, bnf) for _, system, code, bnf, _ in POSITIVE_MEDICATIONS]
    return rows


def _clin_rows() -> list[tuple[str, str]]:
    return [(c.code_system, c.code) for c in NEGATIVE_CLINICAL] + [(s, c) for _, s, c, _ in POSITIVE_CLINICAL]


def _raw_table(con: duckdb.DuckDBPyConnection, name: str, columns: list[str], rows: list[tuple]) -> None:
    """A raw extract table as the readers give it: every column text."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({', '.join(f'{c} VARCHAR' for c in columns)})")
    con.executemany(f"INSERT INTO {name} VALUES ({', '.join('?' for _ in columns)})", [list(r) for r in rows])


@pytest.fixture(scope="module")
def sql_matches() -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Run the search's staging and matching steps once on every code above: row index -> concepts matched.

    Each medication issue has its own patient (`p<index>`), so its matches are told apart by patient_id.
    """
    con = duckdb.connect()
    try:
        load_codelist_table(con, LISTS)
        day = AS_OF.isoformat()
        med_rows = _med_rows()
        _raw_table(
            con,
            "raw_medication_issues",
            ["patient_id", "issue_date", "code", "code_system", "term", "quantity", "dosage", "bnf_code"],
            [
                (f"p{i}", day, code, system, "", "28", "", bnf or "")
                for i, (system, code, bnf) in enumerate(med_rows)
            ],
        )
        sql_files.run_step(con, "stg_medication_issues")
        sql_files.run_step(con, "int_medication_codes")
        sql_files.run_step(con, "int_medication_matches", as_of=AS_OF)
        meds: dict[int, set[str]] = {i: set() for i in range(len(med_rows))}
        for patient_id, concept in con.execute(
            "SELECT patient_id, concept FROM int_medication_matches"
        ).fetchall():
            meds[int(patient_id[1:])].add(concept)

        clin_rows = _clin_rows()
        _raw_table(
            con,
            "raw_clinical_events",
            ["patient_id", "event_date", "code", "code_system", "term", "numeric_value"],
            [(f"p{i}", day, code, system, "", "") for i, (system, code) in enumerate(clin_rows)],
        )
        sql_files.run_step(con, "stg_clinical_events")
        sql_files.run_step(con, "int_clinical_codes")
        by_code: dict[tuple[str, str], set[str]] = {}
        for system, code, concept in con.execute(
            "SELECT code_system, code, concept FROM int_clinical_codes"
        ).fetchall():
            by_code.setdefault((system, code), set()).add(concept)
        clin = {i: by_code.get(key, set()) for i, key in enumerate(clin_rows)}
    finally:
        con.close()
    assert any(meds.values()) and any(clin.values()), "the matching steps matched nothing at all"
    return meds, clin


def _python_matches(concept: str, code_system: str, code: str, bnf_code: str | None) -> list[str]:
    """The list rows that CodeList.matches finds for a code (and its BNF code) in a concept's lists."""
    hits = []
    for system, c in ((code_system, code), ("bnf", bnf_code)):
        cl = LISTS.get(f"{concept}/{system}")
        if c is None or cl is None:
            continue
        entry = cl.matches(c)
        if entry is not None:
            hits.append(f"{cl.name} row {entry.code} ({entry.term})")
    return hits


@pytest.mark.parametrize(
    ("index", "med"), list(enumerate(NEGATIVE_MEDICATIONS)), ids=[m.code for m in NEGATIVE_MEDICATIONS]
)
def test_medication_is_not_matched_by_the_search(sql_matches, index, med: Med):
    matched = sql_matches[0][index] & set(med.not_in)
    assert not matched, (
        f"{med.code_system} {med.code} (bnf {med.bnf_code}) matched {sorted(matched)}: {med.why}"
    )


@pytest.mark.parametrize("med", NEGATIVE_MEDICATIONS, ids=[m.code for m in NEGATIVE_MEDICATIONS])
def test_medication_is_not_matched_by_any_list_row(med: Med):
    for concept in med.not_in:
        hits = _python_matches(concept, med.code_system, med.code, med.bnf_code)
        assert not hits, f"{med.code} matched {hits}: {med.why}"


@pytest.mark.parametrize(
    ("index", "clin"),
    list(enumerate(NEGATIVE_CLINICAL)),
    ids=[f"{c.code_system}:{c.code}" for c in NEGATIVE_CLINICAL],
)
def test_clinical_code_is_not_matched_by_the_search(sql_matches, index, clin: Clin):
    matched = sql_matches[1][index] & set(clin.not_in)
    assert not matched, f"{clin.code_system} {clin.code} matched {sorted(matched)}: {clin.why}"


@pytest.mark.parametrize(
    "clin", NEGATIVE_CLINICAL, ids=[f"{c.code_system}:{c.code}" for c in NEGATIVE_CLINICAL]
)
def test_clinical_code_is_not_matched_by_any_list_row(clin: Clin):
    for concept in clin.not_in:
        hits = _python_matches(concept, clin.code_system, clin.code, None)
        assert not hits, f"{clin.code} matched {hits}: {clin.why}"


@pytest.mark.parametrize(
    ("index", "row"),
    list(enumerate(POSITIVE_MEDICATIONS, start=len(NEGATIVE_MEDICATIONS))),
    ids=[r[2] for r in POSITIVE_MEDICATIONS],
)
def test_positive_control_medication_is_matched(sql_matches, index, row):
    concept, system, code, bnf, what = row
    assert concept in sql_matches[0][index], f"{what} ({system} {code}) should match {concept}"
    assert _python_matches(concept, system, code, bnf), f"{what} ({system} {code}) should be in {concept}"


@pytest.mark.parametrize(
    ("index", "row"),
    list(enumerate(POSITIVE_CLINICAL, start=len(NEGATIVE_CLINICAL))),
    ids=[f"{r[1]}:{r[2]}" for r in POSITIVE_CLINICAL],
)
def test_positive_control_clinical_code_is_matched(sql_matches, index, row):
    concept, system, code, what = row
    assert concept in sql_matches[1][index], f"{what} ({system} {code}) should match {concept}"
    assert _python_matches(concept, system, code, None), f"{what} ({system} {code}) should be in {concept}"


def test_every_negative_says_why():
    for row in (*NEGATIVE_MEDICATIONS, *NEGATIVE_CLINICAL):
        assert row.not_in and len(row.why) > 20, row
        for concept in row.not_in:
            assert any(name.startswith(f"{concept}/") for name in LISTS), f"unknown concept {concept}"
