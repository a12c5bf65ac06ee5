"""Routine ("noise") codes: the everyday content of a GP record that no pain_finder code list is about.

Each clinical entry has a code in Read v2, CTV3 and SNOMED CT; each medicine has a dm+d VMP code, a Read v2
drug code and a BNF code. They are common, real-looking codes chosen for plausibility (blood pressure, smoking
status, weight, common long-term conditions, infections, everyday repeat medicines) so that a search has to
pick the relevant codes out of a realistic haystack. They are illustrative, not a terminology reference: no
code list is built from them. At run time any entry that a loaded code list would match is dropped (see
codebook.py), so noise never adds to the prevalence of a concept the search looks for.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NoiseCode:
    key: str  # stable name used by the model
    term: str
    readv2: str
    ctv3: str
    snomedct: str
    weight: float = 0.0  # relative frequency among routine events (0: only emitted by a condition model)
    value: str | None = None  # kind of numeric_value recorded with it (see history.NUMERIC)


CLINICAL: tuple[NoiseCode, ...] = (
    # Observations recorded at routine consultations and reviews.
    NoiseCode("sbp", "O/E - Systolic BP reading", "2469.", "2469.", "163030003", 14, "sbp"),
    NoiseCode("weight", "O/E - weight", "22A..", "22A..", "27113001", 6, "weight"),
    NoiseCode("bmi", "Body Mass Index", "22K..", "22K..", "60621009", 4, "bmi"),
    NoiseCode("height", "O/E - height", "229..", "229..", "50373000", 1.5, "height"),
    NoiseCode("pulse", "O/E - pulse rate", "242..", "242..", "78564009", 2, "pulse"),
    NoiseCode("smoker", "Current smoker", "137R.", "137R.", "77176002", 1.6),
    NoiseCode("never_smoked", "Never smoked tobacco", "1371.", "XE0oh", "266919005", 3),
    NoiseCode("ex_smoker", "Ex-smoker", "137S.", "Ub1na", "8517006", 1.4),
    NoiseCode("alcohol", "Alcohol consumption", "136..", "136..", "160573003", 2, "alcohol"),
    NoiseCode(
        "hba1c",
        "Haemoglobin A1c level - IFCC standardised",
        "42W5.",
        "XaPbt",
        "999791000000106",
        2.5,
        "hba1c",
    ),
    NoiseCode("cholesterol", "Serum cholesterol", "44P..", "XE2eD", "1005671000000105", 2.5, "cholesterol"),
    NoiseCode("flu_vaccine", "Influenza vaccination", "65E..", "65E..", "86198006", 3),
    NoiseCode("med_review", "Medication review done", "8B3V.", "8B3V.", "314530002", 4),
    NoiseCode("peak_flow", "Peak flow rate", "339A.", "339A.", "29893006", 0.8, "peak_flow"),
    # Acute and minor conditions.
    NoiseCode("urti", "Upper respiratory infection NOS", "H05z.", "H05z.", "54150009", 3),
    NoiseCode("cough", "Cough", "171..", "171..", "49727002", 2.5),
    NoiseCode("tonsillitis", "Acute tonsillitis", "H03..", "H03..", "17741008", 1),
    NoiseCode("bronchitis", "Acute bronchitis", "H060.", "H060.", "10509002", 1.2),
    NoiseCode("uti", "Urinary tract infection, site not specified", "K190.", "K190.", "68566005", 1.5),
    NoiseCode("otitis_media", "Nonsuppurative otitis media", "F52..", "F52..", "3110003", 0.8),
    NoiseCode("eczema", "Atopic dermatitis and related conditions", "M11..", "M11..", "43116000", 0.8),
    NoiseCode("conjunctivitis", "Acute conjunctivitis", "F4C0.", "F4C0.", "9826008", 0.6),
    # Long-term conditions: recorded once at diagnosis by the condition model (weight 0 here).
    NoiseCode("diastolic", "O/E - Diastolic BP reading", "246A.", "246A.", "163031004", 0, "dbp"),
    NoiseCode("hypertension", "Essential hypertension", "G20..", "XE0Ub", "59621000"),
    NoiseCode("type2_diabetes", "Type 2 diabetes mellitus", "C10F.", "X40J5", "44054006"),
    NoiseCode("asthma", "Asthma", "H33..", "H33..", "195967001"),
    NoiseCode("depression", "Depressive disorder NEC", "E2B..", "E2B..", "35489007"),
    NoiseCode("anxiety", "Anxiety states", "E200.", "E200.", "197480006"),
    NoiseCode("hypothyroidism", "Acquired hypothyroidism", "C04..", "C04..", "40930008"),
    NoiseCode("hypercholesterolaemia", "Pure hypercholesterolaemia", "C320.", "C320.", "13644009"),
    NoiseCode("dyspepsia", "Indigestion", "1954.", "1954.", "162031009"),
)


@dataclass(frozen=True)
class NoiseMedicine:
    key: str
    term: str
    dmd: str
    readv2: str
    bnf: str
    dosage: str
    quantity: int


MEDICINES: tuple[NoiseMedicine, ...] = (
    NoiseMedicine(
        "amlodipine", "Amlodipine 5mg tablets", "319283006", "bl51.", "0206020A0AAAAAA", "ONE daily", 28
    ),
    NoiseMedicine(
        "ramipril", "Ramipril 5mg capsules", "319773006", "bi13.", "0205051R0AAACAC", "ONE daily", 28
    ),
    NoiseMedicine(
        "atorvastatin",
        "Atorvastatin 20mg tablets",
        "320000009",
        "bxd2.",
        "0212000B0AAABAB",
        "ONE at night",
        28,
    ),
    NoiseMedicine(
        "metformin", "Metformin 500mg tablets", "325278007", "f411.", "0601022B0AAABAB", "ONE twice a day", 56
    ),
    NoiseMedicine(
        "salbutamol",
        "Salbutamol 100micrograms/dose inhaler CFC free",
        "320176004",
        "c11A.",
        "0301011R0AAAPAP",
        "TWO puffs when required",
        1,
    ),
    NoiseMedicine(
        "citalopram", "Citalopram 20mg tablets", "321987003", "d7A2.", "0403030D0AAAAAA", "ONE daily", 28
    ),
    NoiseMedicine(
        "levothyroxine",
        "Levothyroxine sodium 100microgram tablets",
        "374296008",
        "fe13.",
        "0602010V0AABXBX",
        "ONE daily",
        28,
    ),
    NoiseMedicine(
        "omeprazole",
        "Omeprazole 20mg gastro-resistant capsules",
        "317335000",
        "a6b2.",
        "0103050P0AAAAAA",
        "ONE daily",
        28,
    ),
    NoiseMedicine(
        "amoxicillin",
        "Amoxicillin 500mg capsules",
        "323510009",
        "e312.",
        "0501013B0AAABAB",
        "ONE three times a day",
        15,
    ),
    NoiseMedicine(
        "nitrofurantoin",
        "Nitrofurantoin 100mg modified-release capsules",
        "317896006",
        "e7d4.",
        "0513010V0AAABAB",
        "ONE twice a day",
        6,
    ),
    NoiseMedicine(
        "ibuprofen",
        "Ibuprofen 400mg tablets",
        "329652003",
        "j212.",
        "1001010J0AAADAD",
        "ONE three times a day with food",
        24,
    ),
    NoiseMedicine(
        "paracetamol",
        "Paracetamol 500mg tablets",
        "322236009",
        "di11.",
        "0407010H0AAAMAM",
        "ONE or TWO four times a day when required",
        100,
    ),
)

# Long-term conditions: prevalence over the history (by age at the end of observation) and the repeat
# medicines they bring. (key, medicines, prevalence at ages <18, 18-39, 40-59, 60-74, 75+)
CONDITIONS: tuple[tuple[str, tuple[str, ...], tuple[float, float, float, float, float]], ...] = (
    ("hypertension", ("amlodipine", "ramipril"), (0.0, 0.03, 0.16, 0.38, 0.55)),
    ("type2_diabetes", ("metformin",), (0.0, 0.01, 0.06, 0.13, 0.16)),
    ("asthma", ("salbutamol",), (0.08, 0.08, 0.07, 0.07, 0.06)),
    ("depression", ("citalopram",), (0.01, 0.12, 0.12, 0.09, 0.07)),
    ("anxiety", (), (0.01, 0.08, 0.07, 0.05, 0.04)),
    ("hypothyroidism", ("levothyroxine",), (0.0, 0.01, 0.03, 0.05, 0.07)),
    ("hypercholesterolaemia", ("atorvastatin",), (0.0, 0.01, 0.08, 0.20, 0.25)),
    ("dyspepsia", ("omeprazole",), (0.0, 0.05, 0.08, 0.12, 0.14)),
)
ACUTE_MEDICINES: tuple[tuple[str, float], ...] = (
    ("amoxicillin", 5),
    ("nitrofurantoin", 1.5),
    ("ibuprofen", 4),
    ("paracetamol", 2),
)
