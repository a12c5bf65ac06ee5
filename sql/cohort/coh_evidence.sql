-- name: coh_evidence
-- returns: one row per record behind a listed candidate (the table `listed`: patient_id, rank): rank,
--   patient_id, date, source, concept, code_list ('concept/system'; NULL for a fit_notes row), code, term,
--   detail; pain codes and pain prescriptions in the pain window, fit notes in the signal window, and the codes
--   behind each review flag the patient carries (pregnancy and bereavement within their windows)
-- params: $as_of, $pain_months, $signal_months, $pregnancy_months, $bereavement_months
-- inputs: listed, int_clinical_matches, int_medication_matches, int_fit_notes, int_opioid_doses, coh_reasons
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
)
SELECT rank, patient_id, date, source, concept, code_list, code, term, nullif(detail, '') AS detail
FROM (SELECT * FROM clinical UNION ALL SELECT * FROM medication UNION ALL SELECT * FROM fit)
ORDER BY rank, date DESC, source, code NULLS FIRST, concept, record_id
