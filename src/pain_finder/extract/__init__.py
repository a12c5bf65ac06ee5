"""The canonical practice extract: its schema, reading it into DuckDB, validating it, and adapters from other
formats (one module per source format)."""
