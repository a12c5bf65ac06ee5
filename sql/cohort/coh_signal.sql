-- name: coh_signal
-- returns: one row per patient with an opioid or gabapentinoid issue or a fit note in the signal window
--   (date > as_of - signal_months, <= as_of): patient_id, opioids (issues), gabapentinoids (issues),
--   fit_notes, signal (criterion 3: at least min_issues opioid + gabapentinoid issues, or at least
--   min_fit_notes fit notes)
-- params: $as_of, $signal_months, $min_issues, $min_fit_notes
-- inputs: int_medication_matches, int_fit_notes
WITH window_start AS (
    SELECT CAST($as_of - to_months($signal_months) AS DATE) AS d
),
records AS (
    SELECT patient_id, concept AS kind
    FROM int_medication_matches
    WHERE concept IN ('opioid', 'gabapentinoid')
        AND issue_date > (SELECT d FROM window_start) AND issue_date <= $as_of
    UNION ALL
    SELECT patient_id, 'fit_note'
    FROM int_fit_notes
    WHERE issue_date > (SELECT d FROM window_start) AND issue_date <= $as_of
),
per_patient AS (
    SELECT
        patient_id,
        count(*) FILTER (WHERE kind = 'opioid') AS opioids,
        count(*) FILTER (WHERE kind = 'gabapentinoid') AS gabapentinoids,
        count(*) FILTER (WHERE kind = 'fit_note') AS fit_notes
    FROM records
    GROUP BY patient_id
)
SELECT
    *,
    opioids + gabapentinoids >= $min_issues OR fit_notes >= $min_fit_notes AS signal
FROM per_patient
