"""Every output column, exclusion reason and review flag, explained in plain English.

These texts are what a practice manager reads on the workbook's "Read me" sheet and in docs/workbook.md, so
they are written for someone who has never seen the code. The three column dictionaries are ordered: the
search selects its output columns in exactly this order (docs/dev/contracts.md), and the workbook writes them
in this order.
"""

from __future__ import annotations

from pain_finder.counts import EXCLUSION_REASONS, REVIEW_FLAGS

# invitations.csv and the workbook's "Invitations" sheet, in order.
INVITATION_COLUMNS: dict[str, str] = {
    "rank": "Position on the list: 1 is the patient whose records show the strongest signs of being out of "
    "work because of chronic pain (highest score; ties broken by the most recent evidence, then patient_id).",
    "patient_id": "The patient's identifier in your clinical system's extract; use it to find the patient's "
    "record.",
    "nhs_number": "The patient's NHS number, when the extract included it (otherwise empty).",
    "practice_id": "The practice whose extract was searched.",
    "age": "Age in whole years on the as-of date.",
    "sex": "Sex as recorded (female, male or unknown).",
    "score": "Total points: the sum of the four score columns that follow; a higher score ranks higher.",
    "score_fit_notes": "Points from fit notes in the last 12 months (how many, how many days they certified, "
    "and how recent the last one is); fit notes weigh most because a 'not fit for work' note is the best "
    "recorded sign of being out of work.",
    "score_opioids": "Points from opioid prescribing in the last 12 months (number of issues, long-term use "
    "and the estimated daily dose).",
    "score_gabapentinoids": "Points from gabapentin or pregabalin prescribing in the last 12 months (number "
    "of issues and long-term use).",
    "score_pain": "Points from the pain record (a code that itself means chronic pain, how long the pain "
    "history spans, and the number of pain consultations).",
    "fit_notes_12m": "Number of fit notes (Med3 / eMED3) issued in the last 12 months, from the fit notes "
    "table or recorded as a fit-note code; at most one a day, so a note recorded both ways on the same day "
    "counts once.",
    "fit_note_days_12m": "Number of days in the last 12 months covered by a fit note in the fit notes table, "
    "from its start to its end date (notes without both dates, and fit-note codes, add none); a day covered "
    "by overlapping notes counts once, so at most 366. A note issued before the 12 months that runs into "
    "them counts its days inside them, so this can be above 0 when fit_notes_12m is 0; such notes are on the "
    "Evidence sheet.",
    "last_fit_note_date": "Issue date of the most recent fit note issued in the last 12 months (empty if "
    "none was, even when an older note still covers days in them).",
    "opioids_12m": "Number of opioid prescriptions issued in the last 12 months (medicines used to treat "
    "opioid dependence are not counted).",
    "opioid_long_term": "'yes' if opioid use looks long-term: at least 4 issues in 12 months, or at least 3 "
    "issues spanning at least 90 days.",
    "ome_mg_per_day": "Estimated current opioid dose in milligrams of oral morphine per day (OME), added up "
    "over the opioid products whose latest prescription still covers the as-of date (from the quantity, "
    "strength and days each covers); empty when no prescription still covers the as-of date or the dose "
    "cannot be estimated.",
    "ome_band": "The estimated current daily dose as a band: none (no opioid in the last 12 months), not "
    "current (opioids in the last 12 months, but no prescription still covers the as-of date), <50, 50-89, "
    "90-119, >=120 mg (120 mg or more is a high dose), or unknown (a current prescription has no dose data).",
    "last_opioid_date": "Date of the most recent opioid prescription.",
    "last_opioid_product": "Name of the opioid product last issued.",
    "gabapentinoids_12m": "Number of gabapentin or pregabalin prescriptions issued in the last 12 months.",
    "gabapentinoid_long_term": "'yes' if gabapentin or pregabalin use looks long-term: at least 4 issues in "
    "12 months, or at least 3 issues spanning at least 90 days.",
    "last_gabapentinoid_date": "Date of the most recent gabapentin or pregabalin prescription.",
    "last_gabapentinoid_product": "Name of the gabapentin or pregabalin product last issued.",
    "chronic_pain_code": "'yes' if the record has a code that itself means chronic pain (for example chronic "
    "pain syndrome, fibromyalgia or chronic low back pain) in the last 24 months.",
    "first_pain_date": "Date of the earliest pain code or pain prescription in the last 24 months.",
    "first_pain_term": "What that earliest pain record says.",
    "last_pain_date": "Date of the most recent pain code or pain prescription.",
    "last_pain_term": "What that most recent pain record says.",
    "pain_consultations_24m": "Number of separate days with a pain code recorded in the last 24 months.",
    "review_flags": "Things to check before inviting (see the list of review flags); empty if none; "
    "highlighted when present.",
}

# The workbook's "Evidence" sheet, in order: one row per matching record of a listed patient.
EVIDENCE_COLUMNS: dict[str, str] = {
    "rank": "The patient's position on the Invitations sheet.",
    "patient_id": "The patient's identifier, as on the Invitations sheet.",
    "date": "Date of the record (event date, or the issue date of a prescription or fit note).",
    "source": "Where the record came from: clinical_events (coded entries), medication_issues "
    "(prescriptions) or fit_notes (fit notes recorded in their own table).",
    "concept": "What the record counts as, for example chronic_pain_condition, pain_condition, opioid, "
    "gabapentinoid or fit_note.",
    "code_list": "The code list that matched, as concept/coding system (for example opioid/dmd).",
    "code": "The code in the record.",
    "term": "The description of the code (or the product name of a prescription), as in the extract; when "
    "the extract has none, the code list's description of an exactly matching code, or '(no term in the "
    "extract; code under ...)' naming the code-list heading the code falls under.",
    "detail": "Extra detail where there is any, for example 'quantity 56; 8.0 mg OME/day' for a prescription "
    "or 'not fit; 28 days' for a fit note. A fit note issued before the last 12 months is listed when its "
    "days run into them, with how many of its days are in them.",
}

# excluded.csv and the workbook's "Excluded" sheet, in order.
EXCLUDED_COLUMNS: dict[str, str] = {
    "patient_id": "The patient's identifier in your clinical system's extract.",
    "reasons": "Why the patient was left off the list, as short codes separated by ';' (explained in the "
    "list of exclusion reasons).",
    "age": "Age in whole years on the as-of date.",
    "sex": "Sex as recorded (female, male or unknown).",
}

# Columns the workbook adds for the people checking the list (not in the CSV files).
DECISION_COLUMNS: dict[str, str] = {
    "decision": "Your decision after checking the record: choose 'invite' or 'do not invite' from the "
    "drop-down.",
    "reason": "If you chose 'do not invite', choose why from the drop-down ('other (see notes)' if none "
    "fits).",
    "notes": "Free text for anything the next person should know; keep it short and factual.",
}
EXCLUDED_EXTRA_COLUMNS: dict[str, str] = {
    "reasons_explained": "The same reasons written out in plain English.",
}

# Exclusion reasons (counts.EXCLUSION_REASONS) and review flags (counts.REVIEW_FLAGS) in plain English.
REASON_TEXT: dict[str, str] = {
    # exclusion reasons
    "age": "Outside the age range for the study (18 to 64 on the as-of date, unless the search was set "
    "otherwise)",
    "deceased": "Recorded as having died on or before the as-of date",
    "not_registered": "Not registered at the practice on the as-of date",
    "research_dissent": "Has a recorded refusal of research contact, or previously declined this study",
    "palliative_care": "Has a palliative care or end-of-life care code",
    "cancer": "Has a cancer diagnosis recorded in the last 5 years (unless the search was set otherwise)",
    "dementia": "Has a dementia diagnosis",
    "opioid_dependence": "Has opioid dependence recorded, or treatment for it (such as methadone or "
    "buprenorphine for dependence)",
    # review flags
    "type1_opt_out": "Has a type 1 opt-out: asked that their GP data not be used for purposes beyond their "
    "own care (and has not withdrawn it)",
    "severe_mental_illness": "Has a severe mental illness recorded (such as schizophrenia, bipolar disorder "
    "or other psychosis)",
    "learning_disability": "Has a learning disability recorded: an invitation may need an easy-read version "
    "or a carer's involvement",
    "pregnancy": "Has a pregnancy recorded in the last 9 months",
    "substance_misuse": "Has alcohol or drug misuse recorded",
    "care_home": "Lives in a care home or nursing home",
    "bereavement": "Has a bereavement recorded in the last 6 months",
}

# The workbook's drop-downs. Reasons are what a GP hand-checking a list most often writes against a name.
DECISION_CHOICES: tuple[str, ...] = ("invite", "do not invite")
DECISION_REASONS: tuple[str, ...] = (
    "not appropriate: current illness",
    "not appropriate: mental health",
    "lacks capacity to consent",
    "terminal illness or palliative care",
    "recent bereavement",
    "safeguarding concern",
    "already in work",
    "retired or not seeking work",
    "pain no longer a problem",
    "pain not the main problem",
    "already in a work or pain programme",
    "declined research before",
    "moved away or left the practice",
    "died",
    "record incomplete or wrong",
    "doctor's clinical judgement",
    "other (see notes)",
)

_ALL_CODES = EXCLUSION_REASONS + REVIEW_FLAGS
assert list(REASON_TEXT) == list(_ALL_CODES), "REASON_TEXT must explain every reason and flag, in order"


def explain_reasons(codes: str, sep: str = ";") -> str:
    """Turn `research_dissent;cancer` into plain English, reason by reason; unknown codes stay as is."""
    parts = [c.strip() for c in codes.split(sep) if c.strip()]
    return "; ".join(REASON_TEXT.get(c, c) for c in parts)
