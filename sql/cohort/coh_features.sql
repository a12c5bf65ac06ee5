-- name: coh_features
-- returns: one row per candidate (coh_cohort.is_candidate) with the evidence the ranking scores: patient_id,
--   nhs_number, sex, age, flags; fit notes in the signal window (fit_notes_12m, may_be_fit_notes_12m,
--   fit_note_days_12m, last_fit_note_date); opioids and gabapentinoids in the signal window (issue counts,
--   long-term use, last date and product); opioid_current (an opioid product issued in the window still covers
--   the as-of date) and ome_mg_per_day (the current estimated daily dose, NULL when no product is current or a
--   current one lacks dose data); the pain record (chronic_pain_code, first/last pain date and term,
--   pain_span_days, pain_consultations_24m); last_evidence_date (the latest of the dates above, for tie-breaks)
-- params: $as_of, $signal_months, $long_term_min_issues, $long_term_min_span_days, $long_term_span_min_issues,
--   $current_grace_days
-- inputs: coh_cohort, coh_pain, int_fit_notes, stg_fit_notes, int_medication_matches, int_opioid_doses
-- fit_note_days_12m: the number of distinct calendar days in the signal window (the day after window_start up
-- to the as-of date, inclusive) covered by the patient's fit notes issued on or before the as-of date
-- (start_date..end_date inclusive; a note without both dates, or ending before it starts, covers no day).
-- Overlapping notes count a day once; days outside the window are not counted, so 0 <= days <= window length.
-- Computed as a union of intervals (gaps and islands), not by expanding days: each note is clipped to the
-- window, sorted by start; a note starting after every earlier note's end opens a new island.
-- Long-term use of a drug group: at least long_term_min_issues issues in the signal window, or at least
-- long_term_span_min_issues issues in it with the first and last at least long_term_min_span_days apart (two
-- one-off issues months apart are not long-term use).
-- Current daily dose: for each opioid product (code system and code), its latest issue in the window (the last
-- by issue_id on that day, the one int_opioid_doses gives the default days); the product is current when that
-- issue's coverage, issue_date .. issue_date + days_covered - 1, extended by current_grace_days (a repeat
-- requested a little late), includes the as-of date. The dose is the sum
-- over the current products (so two products of one ingredient, e.g. modified- and immediate-release
-- oxycodone, add up); NULL when a current product lacks dose data (a partial sum would understate the dose)
-- and NULL, with opioid_current false, when no product is current (issues in the window that have run out).
-- Adding an issue never makes a current product stop being current: a product's latest issue only moves
-- later and always covers the default days.
WITH cands AS (
    SELECT * FROM coh_cohort WHERE is_candidate
),
window_start AS (
    SELECT CAST($as_of - to_months($signal_months) AS DATE) AS d
),
fit AS (
    SELECT
        patient_id,
        count(*) AS fit_notes_12m,
        count(*) FILTER (WHERE fitness = 'may_be_fit') AS may_be_fit_notes_12m,
        max(issue_date) AS last_fit_note_date
    FROM int_fit_notes
    WHERE issue_date > (SELECT d FROM window_start) AND patient_id IN (SELECT patient_id FROM cands)
    GROUP BY patient_id
),
fit_spans AS (
    -- each note clipped to the window; notes without both dates are dropped first (greatest and least
    -- ignore NULLs)
    SELECT *
    FROM (
        SELECT
            n.patient_id,
            greatest(n.start_date, w.d + 1) AS span_start,
            least(n.end_date, CAST($as_of AS DATE)) AS span_end
        FROM stg_fit_notes AS n, window_start AS w
        WHERE n.issue_date <= $as_of
            AND n.start_date IS NOT NULL
            AND n.end_date IS NOT NULL
            AND n.patient_id IN (SELECT patient_id FROM cands)
    )
    WHERE span_start <= span_end
),
fit_islands AS (
    SELECT
        patient_id,
        span_start,
        span_end,
        sum(CASE WHEN prev_end IS NULL OR span_start > prev_end THEN 1 ELSE 0 END) OVER (
            PARTITION BY patient_id ORDER BY span_start, span_end ROWS UNBOUNDED PRECEDING
        ) AS island
    FROM (
        SELECT
            *,
            max(span_end) OVER (
                PARTITION BY patient_id ORDER BY span_start, span_end
                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
            ) AS prev_end
        FROM fit_spans
    )
),
fit_days AS (
    SELECT patient_id, sum(days) AS fit_note_days_12m
    FROM (
        SELECT patient_id, date_diff('day', min(span_start), max(span_end)) + 1 AS days
        FROM fit_islands
        GROUP BY patient_id, island
    )
    GROUP BY patient_id
),
meds AS (
    SELECT
        patient_id,
        concept,
        count(*) AS issues,
        count(*) >= $long_term_min_issues
            OR (
                count(*) >= $long_term_span_min_issues
                AND date_diff('day', min(issue_date), max(issue_date)) >= $long_term_min_span_days
            ) AS long_term,
        max(issue_date) AS last_date,
        arg_max(term, (issue_date, issue_id)) AS last_product
    FROM int_medication_matches
    WHERE concept IN ('opioid', 'gabapentinoid')
        AND issue_date > (SELECT d FROM window_start)
        AND patient_id IN (SELECT patient_id FROM cands)
    GROUP BY patient_id, concept
),
latest_per_product AS (
    SELECT patient_id, issue_date, days_covered, ome_mg_per_day
    FROM int_opioid_doses
    WHERE patient_id IN (SELECT patient_id FROM cands)
    QUALIFY row_number() OVER (
        PARTITION BY patient_id, code_system, code ORDER BY issue_date DESC, issue_id DESC
    ) = 1
),
ome AS (
    -- the products whose latest issue covers the as-of date, with the grace days:
    -- issue_date + days_covered - 1 + current_grace_days >= as_of
    SELECT
        patient_id,
        CASE WHEN bool_and(ome_mg_per_day IS NOT NULL) THEN sum(ome_mg_per_day) END AS ome_mg_per_day
    FROM latest_per_product
    WHERE issue_date + CAST(days_covered AS INTEGER) + CAST($current_grace_days AS INTEGER) > CAST($as_of AS DATE)
    GROUP BY patient_id
)
SELECT
    c.patient_id,
    c.nhs_number,
    c.sex,
    c.age,
    c.flags,
    coalesce(f.fit_notes_12m, 0) AS fit_notes_12m,
    coalesce(f.may_be_fit_notes_12m, 0) AS may_be_fit_notes_12m,
    coalesce(fd.fit_note_days_12m, 0) AS fit_note_days_12m,
    f.last_fit_note_date,
    coalesce(o.issues, 0) AS opioids_12m,
    coalesce(o.long_term, false) AS opioid_long_term,
    ome.patient_id IS NOT NULL AS opioid_current,
    ome.ome_mg_per_day,
    o.last_date AS last_opioid_date,
    o.last_product AS last_opioid_product,
    coalesce(g.issues, 0) AS gabapentinoids_12m,
    coalesce(g.long_term, false) AS gabapentinoid_long_term,
    g.last_date AS last_gabapentinoid_date,
    g.last_product AS last_gabapentinoid_product,
    p.chronic_pain_code,
    p.first_pain_date,
    p.first_pain_term,
    p.last_pain_date,
    p.last_pain_term,
    p.pain_span_days,
    p.pain_consultations AS pain_consultations_24m,
    greatest(f.last_fit_note_date, o.last_date, g.last_date, p.last_pain_date) AS last_evidence_date
FROM cands AS c
JOIN coh_pain AS p ON p.patient_id = c.patient_id
LEFT JOIN fit AS f ON f.patient_id = c.patient_id
LEFT JOIN fit_days AS fd ON fd.patient_id = c.patient_id
LEFT JOIN meds AS o ON o.patient_id = c.patient_id AND o.concept = 'opioid'
LEFT JOIN meds AS g ON g.patient_id = c.patient_id AND g.concept = 'gabapentinoid'
LEFT JOIN ome ON ome.patient_id = c.patient_id
