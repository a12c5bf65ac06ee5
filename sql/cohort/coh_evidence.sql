-- name: coh_evidence
-- returns: one row per record behind a listed candidate (the table `listed`: patient_id, rank): rank,
--   patient_id, date, source, concept, code_list ('concept/system'; NULL for a fit_notes row), code, term,
--   detail; pain codes and pain prescriptions in the pain window, fit notes issued in the signal window (as
--   counted in fit_notes_12m), every other fit note that adds certified days to the signal window (as counted
--   in fit_note_days_12m: one issued before the window that runs into it, or a second note on a day already
--   listed), and the codes behind each review flag the patient carries (pregnancy and bereavement within their
--   windows)
-- params: $as_of, $pain_months, $signal_months, $pregnancy_months, $bereavement_months
-- inputs: listed, int_clinical_matches, int_medication_matches, int_fit_notes, stg_fit_notes,
--   int_opioid_doses, coh_reasons
WITH since AS (
    SELECT
        CAST($as_of - to_months($pain_months) AS DATE) AS pain,
        CAST($as_of - to_months($signal_months) AS DATE) AS signal,
        CAST($as_of - to_months($pregnancy_months) AS DATE) AS pregnancy,
        CAST($as_of - to_months($bereavement_months) AS DATE) AS bereavement
),
flagged AS (
    SELECT r.patient_id, r.reason AS concept
    FROM coh_reasons AS r
    JOIN listed AS l ON l.patient_id = r.patient_id
    WHERE r.kind = 'flag'
    UNION ALL
    SELECT r.patient_id, 'type1_opt_out_withdrawn'
    FROM coh_reasons AS r
    JOIN listed AS l ON l.patient_id = r.patient_id
    WHERE r.reason = 'type1_opt_out'
),
clinical AS (
    SELECT l.rank, c.patient_id, c.event_date AS date, 'clinical_events' AS source, c.concept,
        c.concept || '/' || c.code_system AS code_list, c.code, c.term, CAST(NULL AS VARCHAR) AS detail,
        c.event_id AS record_id
    FROM int_clinical_matches AS c
    JOIN listed AS l ON l.patient_id = c.patient_id
    WHERE (c.concept IN ('chronic_pain_condition', 'pain_condition') AND c.event_date > (SELECT pain FROM since))
        OR (c.concept IN (SELECT concept FROM flagged AS f WHERE f.patient_id = c.patient_id)
            AND (c.concept <> 'pregnancy' OR c.event_date > (SELECT pregnancy FROM since))
            AND (c.concept <> 'bereavement' OR c.event_date > (SELECT bereavement FROM since)))
),
medication AS (
    SELECT l.rank, m.patient_id, m.issue_date AS date, 'medication_issues' AS source, m.concept,
        m.concept || '/' || CASE WHEN m.matched_via = 'bnf_code' THEN 'bnf' ELSE m.code_system END AS code_list,
        CASE WHEN m.matched_via = 'bnf_code' THEN m.bnf_code ELSE m.code END AS code,
        m.term,
        concat_ws('; ',
            CASE WHEN m.quantity IS NOT NULL THEN 'quantity ' || CASE WHEN m.quantity = floor(m.quantity)
                THEN CAST(CAST(m.quantity AS BIGINT) AS VARCHAR) ELSE CAST(m.quantity AS VARCHAR) END END,
            CASE WHEN d.ome_mg_per_day IS NOT NULL THEN printf('%.1f mg OME/day', d.ome_mg_per_day) END
        ) AS detail,
        m.issue_id AS record_id
    FROM int_medication_matches AS m
    JOIN listed AS l ON l.patient_id = m.patient_id
    LEFT JOIN int_opioid_doses AS d ON d.issue_id = m.issue_id AND m.concept = 'opioid'
    WHERE m.concept IN ('opioid', 'gabapentinoid') AND m.issue_date > (SELECT pain FROM since)
),
fit AS (
    SELECT l.rank, f.patient_id, f.issue_date AS date, f.source, 'fit_note' AS concept,
        'fit_note/' || f.code_system AS code_list,
        f.code, coalesce(f.term, 'Fit note') AS term,
        concat_ws('; ', replace(f.fitness, '_', ' '), CAST(f.days AS VARCHAR) || ' days') AS detail,
        f.record_id
    FROM int_fit_notes AS f
    JOIN listed AS l ON l.patient_id = f.patient_id
    WHERE f.issue_date > (SELECT signal FROM since)
),
-- fit_notes rows whose start..end covers days of the signal window (the notes coh_features'
-- fit_note_days_12m counts: issued on or before the as-of date, both dates given, overlapping the window once
-- clipped to it) that `fit` does not list: issued before the window, or not the note kept for its day
fit_days AS (
    SELECT
        n.*,
        date_diff('day', greatest(n.start_date, s.signal + 1), least(n.end_date, CAST($as_of AS DATE))) + 1
            AS days_in_window,
        n.issue_date <= s.signal AS before_window
    FROM (SELECT rowid AS record_id, * FROM stg_fit_notes) AS n, since AS s
    WHERE n.issue_date <= $as_of
        AND n.start_date IS NOT NULL
        AND n.end_date IS NOT NULL
        AND greatest(n.start_date, s.signal + 1) <= least(n.end_date, CAST($as_of AS DATE))
        AND n.patient_id IN (SELECT patient_id FROM listed)
        AND n.record_id NOT IN (SELECT record_id FROM fit WHERE source = 'fit_notes')
),
fit_extra AS (
    SELECT l.rank, n.patient_id, n.issue_date AS date, 'fit_notes' AS source, 'fit_note' AS concept,
        CAST(NULL AS VARCHAR) AS code_list, CAST(NULL AS VARCHAR) AS code, 'Fit note' AS term,
        concat_ws('; ',
            replace(n.fitness, '_', ' '),
            CAST(date_diff('day', n.start_date, n.end_date) + 1 AS VARCHAR) || ' days',
            CASE
                WHEN n.before_window THEN printf(
                    'issued before the %d-month window, %d of its days within it', $signal_months,
                    n.days_in_window
                )
                ELSE 'another fit note on the same day (counted as one note)'
            END
        ) AS detail,
        n.record_id
    FROM fit_days AS n
    JOIN listed AS l ON l.patient_id = n.patient_id
)
SELECT rank, patient_id, date, source, concept, code_list, code, term, nullif(detail, '') AS detail
FROM (
    SELECT * FROM clinical
    UNION ALL SELECT * FROM medication
    UNION ALL SELECT * FROM fit
    UNION ALL SELECT * FROM fit_extra
)
ORDER BY rank, date DESC, source, code NULLS FIRST, concept, record_id
