"""lambda_ingest: POST /v1/events, as an AWS Lambda handler (handler.py) and a local server (server.py, cli.py).

Both run one core (pipeline.Collector): decode -> validate (validate.py) -> dedupe (dedupe.py) -> PII scrub
(pii.py) -> enrich (enrich.py) -> raw store (sink.py). See README.md in this folder.
"""
