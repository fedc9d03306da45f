"""Admin screens of lead capture (placeholder)."""

from typing import Any


def capture_viewsets() -> list[Any]:
    return []
