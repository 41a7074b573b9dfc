"""The five dashboard pages, one module pair (<name>_ui / <name>_server) each."""
