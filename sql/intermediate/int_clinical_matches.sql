-- name: int_clinical_matches
-- returns: one row per clinical event on or before the as-of date and concept it matches: event_id,
--   patient_id, event_date, concept, code_system, code, term, list_code, fitness (what a fit-note code records:
--   not_fit / may_be_fit, NULL when it does not say or for other concepts)
-- term: the event's own term; without one, the list row's term only when the code matched a row that is not a
--   heading exactly (a heading row's term describes the whole heading, e.g. "... and every Read v2 code under 9D1", not this code), else
--   '(no term in the extract; code under <list_code>)'
-- params: $as_of
-- inputs: stg_clinical_events, int_clinical_codes
SELECT
    e.rowid AS event_id,  -- staging keeps file order: see stg_clinical_events
    e.patient_id,
    e.event_date,
    m.concept,
    e.code_system,
    e.code,
    CASE
        WHEN e.term IS NOT NULL THEN e.term
        WHEN m.match_rank = 0 AND m.list_term IS NOT NULL THEN m.list_term
        ELSE '(no term in the extract; code under ' || m.list_code || ')'
    END AS term,
    m.list_code,
    m.list_fitness AS fitness
FROM stg_clinical_events AS e
JOIN int_clinical_codes AS m ON m.code_system = e.code_system AND m.code = e.code
WHERE e.event_date <= $as_of
