"""clickstream-load: raw objects (gzip NDJSON, local folder or S3) -> PostgreSQL raw tables, exactly once.

Stages, one module each: store (list/open raw objects) -> listing (which are new) -> reader (gunzip, parse,
check) -> load (COPY + manifest row in one transaction) -> run (one run, ops.load_runs); manifest (the
books), migrations (raw/ops schema), hourly (load + dbt build), cli (the commands).
"""
