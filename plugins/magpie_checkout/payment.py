"""Payment methods (placeholder)."""

from typing import Any


def first_party_methods(cart: Any, company: Any) -> list[Any]:
    return []
