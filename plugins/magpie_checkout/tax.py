"""VAT (placeholder)."""

from typing import Any


def order_tax(company: Any, country: str, currency: str) -> Any:
    return None
