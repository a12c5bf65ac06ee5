-- name: cnt_attrition
-- returns: one row: the first four attrition counts (counts.ATTRITION_STEPS): registered (alive and
--   registered on the as-of date), working_age (and in the age range), chronic_pain (and criterion 2),
--   signal (and criterion 3)
-- params: none
-- inputs: coh_population, coh_pain, coh_signal
SELECT
    count(*) FILTER (WHERE pop.alive AND pop.registered) AS registered,
    count(*) FILTER (WHERE pop.alive AND pop.registered AND pop.in_age) AS working_age,
    count(*) FILTER (WHERE pop.alive AND pop.registered AND pop.in_age AND coalesce(p.chronic_pain, false))
        AS chronic_pain,
    count(*) FILTER (WHERE pop.alive AND pop.registered AND pop.in_age AND coalesce(p.chronic_pain, false)
        AND coalesce(s.signal, false)) AS signal
FROM coh_population AS pop
LEFT JOIN coh_pain AS p ON p.patient_id = pop.patient_id
LEFT JOIN coh_signal AS s ON s.patient_id = pop.patient_id
