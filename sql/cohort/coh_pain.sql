-- name: coh_pain
-- returns: one row per patient with any pain record in the pain window (date > as_of - pain_months, <= as_of):
--   patient_id, chronic_pain_code (a chronic_pain_condition code in the window), first_pain_date,
--   first_pain_term, last_pain_date, last_pain_term, pain_span_days (last - first, over pain codes and opioid or
--   gabapentinoid issues), pain_consultations (distinct days with a pain code), chronic_pain (criterion 2: a
--   chronic-pain-condition code, or a span of at least min_span_days; with require_pain_code the span counts
--   only when the window holds at least one pain code, so prescriptions alone never make chronic pain)
-- params: $as_of, $pain_months, $min_span_days, $require_pain_code
-- inputs: int_clinical_matches, int_medication_matches
-- Pain records are chronic_pain_condition and pain_condition codes and opioid and gabapentinoid issues. On a day
-- with several, the first/last term is the clinical code's (then the lowest code, then the record).
WITH window_start AS (
    SELECT CAST($as_of - to_months($pain_months) AS DATE) AS d
),
records AS (
    SELECT patient_id, event_date AS d, concept, term, 0 AS source_rank, code, event_id AS record_id
    FROM int_clinical_matches
    WHERE concept IN ('chronic_pain_condition', 'pain_condition')
        AND event_date > (SELECT d FROM window_start) AND event_date <= $as_of
    UNION ALL
    SELECT patient_id, issue_date, concept, term, 1, code, issue_id
    FROM int_medication_matches
    WHERE concept IN ('opioid', 'gabapentinoid')
        AND issue_date > (SELECT d FROM window_start) AND issue_date <= $as_of
),
per_patient AS (
    SELECT
        patient_id,
        bool_or(concept = 'chronic_pain_condition') AS chronic_pain_code,
        min(d) AS first_pain_date,
        arg_min(term, (d, source_rank, code, record_id)) AS first_pain_term,
        max(d) AS last_pain_date,
        arg_min(term, (-epoch(d), source_rank, code, record_id)) AS last_pain_term,
        count(DISTINCT CASE WHEN source_rank = 0 THEN d END) AS pain_consultations
    FROM records
    GROUP BY patient_id
)
SELECT
    patient_id,
    chronic_pain_code,
    first_pain_date,
    first_pain_term,
    last_pain_date,
    last_pain_term,
    date_diff('day', first_pain_date, last_pain_date) AS pain_span_days,
    pain_consultations,
    chronic_pain_code
        OR (
            date_diff('day', first_pain_date, last_pain_date) >= $min_span_days
            AND (pain_consultations > 0 OR NOT $require_pain_code)
        ) AS chronic_pain
FROM per_patient
