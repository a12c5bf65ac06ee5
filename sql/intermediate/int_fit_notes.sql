-- name: int_fit_notes
-- returns: one row per fit note on or before the as-of date, at most one per patient per day: patient_id,
--   issue_date, source ('fit_notes' or 'clinical_events'), fitness ('not_fit', 'may_be_fit' or NULL when the
--   record does not say; for a fit-note code, what the code list says the code records), days (end_date - start_date + 1 when both are given and in order, else NULL),
--   code_system, code and term (the fit-note code of a clinical event; NULL for a fit_notes row), record_id
-- params: $as_of
-- inputs: stg_fit_notes, int_clinical_matches
-- The same fit note is often recorded twice (a fit_notes row and a fit-note code on the same day): it counts
-- once, keeping the fit_notes row (it carries fitness and dates); of two codes on one day, one that states the
-- fitness is kept.
WITH notes AS (
    SELECT
        patient_id,
        issue_date,
        'fit_notes' AS source,
        fitness,
        CASE WHEN end_date >= start_date THEN date_diff('day', start_date, end_date) + 1 END AS days,
        CAST(NULL AS VARCHAR) AS code_system,
        CAST(NULL AS VARCHAR) AS code,
        CAST(NULL AS VARCHAR) AS term,
        rowid AS record_id,  -- staging keeps file order: see stg_fit_notes
        0 AS source_rank
    FROM stg_fit_notes
    WHERE issue_date <= $as_of
    UNION ALL
    SELECT patient_id, event_date, 'clinical_events', fitness, NULL, code_system, code, term, event_id, 1
    FROM int_clinical_matches
    WHERE concept = 'fit_note'
)
SELECT patient_id, issue_date, source, fitness, days, code_system, code, term, record_id
FROM notes
QUALIFY row_number() OVER (
    PARTITION BY patient_id, issue_date ORDER BY source_rank, days DESC NULLS LAST, fitness IS NULL, record_id
) = 1
