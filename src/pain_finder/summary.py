"""The count summary (`summary.json`): counts only, no identifiers, every cell through disclosure control.

(Contract stub written by the lead; the counts engineer owns and completes this module.)

    build_summary(exact: ExactCounts, *, as_of, fingerprint, definition, description, policy, software_version)
        -> CountSummary
    write_summary(summary: CountSummary, path: Path) -> None   (atomic)
"""
