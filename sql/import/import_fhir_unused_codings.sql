-- name: import_fhir_unused_codings
-- returns: (system, codings): how many codings of each code system pain_finder cannot use were in the
--   resources read (e.g. RxNorm on medications, LOINC on observations), named by short name where known
-- params: $system_uris, $system_names
-- inputs: src_fhir
WITH r AS (
    SELECT
        json_extract_string(json, '$.resourceType') AS rtype,
        list_concat(
            coalesce(json_extract_string(json, '$.code.coding[*].system'), []),
            coalesce(json_extract_string(json, '$.medicationCodeableConcept.coding[*].system'), [])
        ) AS systems
    FROM src_fhir
    WHERE json_extract_string(json, '$.resourceType')
        IN ('Condition', 'Observation', 'MedicationRequest', 'MedicationStatement')
),
s AS (
    SELECT rtype, coalesce(unnest(systems), '(no system)') AS system FROM r
)
SELECT coalesce($system_names[list_position($system_uris, system)], system) AS system, count(*) AS codings
FROM s
WHERE NOT (
    (rtype IN ('Condition', 'Observation')
        AND system IN ('http://snomed.info/sct', 'http://read.info/ctv3', 'http://read.info/readv2'))
    OR (rtype IN ('MedicationRequest', 'MedicationStatement')
        AND system IN ('https://dmd.nhs.uk', 'http://snomed.info/sct', 'http://read.info/readv2'))
)
GROUP BY ALL
ORDER BY system
