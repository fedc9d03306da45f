"""Domain events the leads plugin handles (placeholder)."""

from typing import Any

WANTED: tuple[str, ...] = ()


def handle(event: Any) -> None:
    return None
