"""Export and erasure of what the leads plugin stores about a contact (placeholder)."""

from typing import Any


def export_contact(contact: Any) -> dict[str, Any] | None:
    return None


def erase_contact(contact: Any) -> None:
    return None
