"""Demo catalog data (filled in by the demo-data work; idempotent)."""

from __future__ import annotations

from typing import Any


def load_demo(stdout: Any) -> None:
    """Load the demo catalog: categories, attributes, products, prices and stock."""
    stdout.write("Catalog demo data: nothing to load yet.\n")
