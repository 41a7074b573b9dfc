"""lambda_ingest"""
