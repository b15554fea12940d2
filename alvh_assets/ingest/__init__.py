"""Ingestion: vendor files -> ``raw.*`` rows with lineage, bad rows -> ``quarantine``.

Readers (``ingest.readers``) are pure functions ``path -> ReadResult``; the warehouse
writer and the Dagster assets sit on top of them.
"""
