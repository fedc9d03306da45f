"""Company accounts (placeholder)."""

from typing import Any


def company_of_request(request: Any) -> Any:
    return None
