"""One reader per vendor format: ``read_<format>(path) -> ReadResult`` (pure, no I/O but
reading the file). See :mod:`alvh_assets.ingest.csv_lines` for the variants all accept."""
