-- name: coh_reasons
-- returns: one row per patient and exclusion reason or review flag that applies on the as-of date: patient_id,
--   reason (a code of counts.EXCLUSION_REASONS or counts.REVIEW_FLAGS), kind ('exclusion' or 'flag')
-- params: $as_of, $cancer_years, $palliative_years, $dependence_years, $pregnancy_months, $bereavement_months
-- inputs: coh_population, int_clinical_matches, int_medication_matches, declined_patients
-- A NULL look-back ($palliative_years, $dependence_years) means "ever recorded". Windows end on the as-of date
-- and start the day after as_of minus the look-back. Type 1 opt-out: the latest of the opt-out and withdrawal
-- codes decides; on the same day the opt-out wins (the flag is shown, to be safe).
WITH clinical AS (
    SELECT patient_id, event_date, concept FROM int_clinical_matches
),
since AS (
    SELECT
        CAST($as_of - to_years($cancer_years) AS DATE) AS cancer,
        CAST($as_of - to_years(coalesce(CAST($palliative_years AS INTEGER), 1000)) AS DATE) AS palliative,
        CAST($as_of - to_years(coalesce(CAST($dependence_years AS INTEGER), 1000)) AS DATE) AS dependence,
        CAST($as_of - to_months($pregnancy_months) AS DATE) AS pregnancy,
        CAST($as_of - to_months($bereavement_months) AS DATE) AS bereavement
),
opt_out AS (
    SELECT patient_id
    FROM clinical
    WHERE concept IN ('type1_opt_out', 'type1_opt_out_withdrawn')
    GROUP BY patient_id
    HAVING arg_max(concept, (event_date, concept = 'type1_opt_out')) = 'type1_opt_out'
),
found AS (
    SELECT patient_id, 'age' AS reason FROM coh_population WHERE NOT in_age
    UNION ALL
    SELECT patient_id, 'deceased' FROM coh_population WHERE NOT alive
    UNION ALL
    SELECT patient_id, 'not_registered' FROM coh_population WHERE NOT registered
    UNION ALL
    SELECT patient_id, 'research_dissent' FROM clinical WHERE concept = 'research_dissent'
    UNION ALL
    SELECT patient_id, 'research_dissent' FROM declined_patients
    UNION ALL
    SELECT patient_id, 'palliative_care' FROM clinical
    WHERE concept = 'palliative_care' AND event_date > (SELECT palliative FROM since)
    UNION ALL
    SELECT patient_id, 'cancer' FROM clinical
    WHERE concept = 'cancer' AND event_date > (SELECT cancer FROM since)
    UNION ALL
    SELECT patient_id, 'dementia' FROM clinical WHERE concept = 'dementia'
    UNION ALL
    SELECT patient_id, 'opioid_dependence' FROM clinical
    WHERE concept = 'opioid_dependence' AND event_date > (SELECT dependence FROM since)
    UNION ALL
    SELECT patient_id, 'opioid_dependence' FROM int_medication_matches
    WHERE concept = 'opioid_substitution' AND issue_date > (SELECT dependence FROM since)
    UNION ALL
    SELECT patient_id, 'type1_opt_out' FROM opt_out
    UNION ALL
    SELECT patient_id, concept FROM clinical
    WHERE concept IN ('severe_mental_illness', 'learning_disability', 'substance_misuse', 'care_home')
    UNION ALL
    SELECT patient_id, 'pregnancy' FROM clinical
    WHERE concept = 'pregnancy' AND event_date > (SELECT pregnancy FROM since)
    UNION ALL
    SELECT patient_id, 'bereavement' FROM clinical
    WHERE concept = 'bereavement' AND event_date > (SELECT bereavement FROM since)
)
SELECT DISTINCT
    patient_id,
    reason,
    CASE WHEN reason IN ('type1_opt_out', 'severe_mental_illness', 'learning_disability', 'pregnancy',
        'substance_misuse', 'care_home', 'bereavement') THEN 'flag' ELSE 'exclusion' END AS kind
FROM found
