"""Invoices and credit notes as PDF (rendered from :attr:`Document.data`, so a document
reads the same years later).

SKELETON — the signatures are the contract; bodies land with the OMS work.
"""

from __future__ import annotations

from magpie_checkout.models import Document


def render_pdf(document: Document) -> bytes:
    """The document as a PDF."""
    raise NotImplementedError


def filename(document: Document) -> str:
    """``invoice-R-2026-000001.pdf`` / ``credit-note-G-2026-000001.pdf``."""
    raise NotImplementedError
