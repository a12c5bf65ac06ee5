-- name: coh_cohort
-- returns: one row per patient in the extract who meets criteria 2 and 3 (chronic pain and a signal):
--   patient_id, nhs_number, sex, age, reasons (exclusion reasons in $reason_order, then the promoted flags;
--   empty for a candidate), flags (the review flags not promoted, in $reason_order), is_candidate
-- params: $reason_order, $promoted
-- inputs: coh_pain, coh_signal, coh_population, coh_reasons
-- $reason_order lists counts.EXCLUSION_REASONS then counts.REVIEW_FLAGS; $promoted the flags treated as exclusions.
WITH met AS (
    SELECT pop.patient_id, pop.nhs_number, pop.sex, pop.age
    FROM coh_pain AS p
    JOIN coh_signal AS s ON s.patient_id = p.patient_id
    JOIN coh_population AS pop ON pop.patient_id = p.patient_id
    WHERE p.chronic_pain AND s.signal
),
tagged AS (
    SELECT
        r.patient_id,
        r.reason,
        list_position(CAST($reason_order AS VARCHAR[]), r.reason) AS pos,
        r.kind = 'exclusion' OR list_contains(CAST($promoted AS VARCHAR[]), r.reason) AS excludes
    FROM coh_reasons AS r
    WHERE r.patient_id IN (SELECT patient_id FROM met)
),
grouped AS (
    SELECT
        patient_id,
        list(reason ORDER BY pos) FILTER (WHERE excludes) AS reasons,
        list(reason ORDER BY pos) FILTER (WHERE NOT excludes) AS flags
    FROM tagged
    GROUP BY patient_id
)
SELECT
    m.patient_id,
    m.nhs_number,
    m.sex,
    m.age,
    coalesce(g.reasons, CAST([] AS VARCHAR[])) AS reasons,
    coalesce(g.flags, CAST([] AS VARCHAR[])) AS flags,
    coalesce(len(g.reasons), 0) = 0 AS is_candidate
FROM met AS m
LEFT JOIN grouped AS g ON g.patient_id = m.patient_id
