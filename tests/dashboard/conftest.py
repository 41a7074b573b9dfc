"""Fixtures for the dashboard tests live in dashboard_support (a unique module name: several test folders
have a conftest.py, so `from conftest import ...` would pick whichever was imported first)."""

from dashboard_support import *  # noqa: F401,F403  (fixtures are registered from this module's names)
