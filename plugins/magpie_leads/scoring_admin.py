"""Admin screens of scoring, lifecycle and handover (placeholder)."""

from typing import Any


def scoring_viewsets() -> list[Any]:
    return []


def register_scoring_hooks() -> None:
    return None
