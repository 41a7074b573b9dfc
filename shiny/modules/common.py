"""What the page modules share: turning the poll into a version, and keeping failures on the page."""

from __future__ import annotations

from typing import Any

from shiny import req

from shared import DataVersion, WarehouseUnavailable


def ok_version(version: DataVersion) -> str:
    """The data version to key queries by, or the reason there is none (shown as a notice)."""
    if version.status != "ok":
        raise WarehouseUnavailable(version.status, version.detail)
    return version.version


def problem_of(result: Any) -> WarehouseUnavailable | None:
    return result if isinstance(result, WarehouseUnavailable) else None


def ready(result: Any) -> Any:
    """The page's data; outputs stay blank (the notice explains) when there is none."""
    req(not isinstance(result, WarehouseUnavailable))
    return result
