"""Demo data of scoring (placeholder)."""

from typing import Any


def load_scoring_demo(stdout: Any) -> None:
    return None
