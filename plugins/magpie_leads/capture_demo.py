"""Demo data of lead capture (placeholder)."""

from typing import Any


def load_capture_demo(stdout: Any) -> None:
    return None
