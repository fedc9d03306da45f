"""Contact enrichment (placeholder)."""

from typing import Any


def enrich_from_email_and_phone(contact: Any) -> dict[str, Any] | None:
    return None
