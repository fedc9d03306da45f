"""Demo data of lead capture: a whitepaper lead form per language, its gated PDF in a
private collection, and the form block on the demo's whitepaper landing page.

Idempotent: forms are found again by name, the document by title, the collection by name,
and a landing page that already holds a lead form block is left as it is.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction

from magpie_leads.models import LeadForm

COLLECTION = "Gated downloads"
DOCUMENT_TITLE = "Whitepaper (gated): Lineartechnik sicher auslegen / Sizing linear motion safely"
DOCUMENT_LINES = [
    "Checklist: load, stroke, speed, accuracy, environment.",
    "Sizing example: ball screw drive for a 40 kg pick-and-place axis.",
    "Alpenwerk Antriebstechnik AG - demo document for gated downloads.",
]

#: language → the form's texts.
FORMS: dict[str, dict[str, Any]] = {
    "de": {
        "name": "Whitepaper: Lineartechnik (DE)",
        "heading": "Whitepaper jetzt anfordern",
        "intro": "<p>Wir senden Ihnen den Link zum PDF sofort nach dem Absenden.</p>",
        "consent_text": (
            "Ja, die Alpenwerk Antriebstechnik AG darf mir per E-Mail Informationen zu "
            "Produkten und Veranstaltungen senden. Ich kann diese Einwilligung jederzeit "
            "widerrufen."
        ),
        "submit_label": "Whitepaper anfordern",
        "success_message": "<p>Danke! Hier ist Ihr Whitepaper.</p>",
        "labels": ("Vorname", "Nachname", "Firma", "Funktion"),
    },
    "en": {
        "name": "Whitepaper: Linear motion (EN)",
        "heading": "Get the whitepaper",
        "intro": "<p>You get the link to the PDF right after sending the form.</p>",
        "consent_text": (
            "Yes, Alpenwerk Antriebstechnik AG may email me about products and events. "
            "I can withdraw this consent at any time."
        ),
        "submit_label": "Get the whitepaper",
        "success_message": "<p>Thank you! Here is your whitepaper.</p>",
        "labels": ("First name", "Last name", "Company", "Job title"),
    },
}


def _write(stdout: Any, text: str) -> None:
    if stdout is not None:
        stdout.write(text + "\n")


def gated_collection() -> Any:
    """The "Gated downloads" collection, restricted to logged-in users so that
    ``/documents/`` does not serve its files to the public (created once)."""
    from wagtail.models import Collection, CollectionViewRestriction

    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=COLLECTION).first()
    if collection is None:
        collection = root.add_child(name=COLLECTION)
    if not CollectionViewRestriction.objects.filter(collection=collection).exists():
        CollectionViewRestriction.objects.create(
            collection=collection, restriction_type=CollectionViewRestriction.LOGIN
        )
    return collection


def gated_document(stdout: Any = None) -> Any:
    """The demo's gated whitepaper PDF (a real, tiny PDF), found again by title."""
    from wagtail.documents import get_document_model

    from magpie.content.demo import make_pdf_bytes

    model = get_document_model()
    document = model.objects.filter(title=DOCUMENT_TITLE).order_by("pk").first()
    if document is None:
        document = model(title=DOCUMENT_TITLE, collection=gated_collection())
        data = make_pdf_bytes("Whitepaper Lineartechnik / Linear motion", DOCUMENT_LINES)
        document.file.save("alpenwerk-whitepaper-gated.pdf", ContentFile(data), save=False)
        document.save()
        _write(stdout, f"  + document {DOCUMENT_TITLE!r}")
    return document


def demo_form(code: str, document: Any, stdout: Any = None) -> LeadForm:
    """The whitepaper lead form of language ``code`` (created once)."""
    texts = FORMS[code]
    found = LeadForm.objects.filter(name=texts["name"]).first()
    if found is not None:
        return found
    targets = ("first_name", "last_name", "company", "job_title")
    lead_form = LeadForm(
        name=texts["name"],
        heading=texts["heading"],
        intro=texts["intro"],
        consent_text=texts["consent_text"],
        submit_label=texts["submit_label"],
        success_message=texts["success_message"],
        download=document,
        tags="whitepaper",
    )
    lead_form.fields = [
        (
            "field",
            {
                "target": target,
                "label": label,
                "key": "",
                "required": target == "first_name",
                "help_text": "",
            },
        )
        for target, label in zip(targets, texts["labels"], strict=True)
    ]
    lead_form.save()
    _write(stdout, f"  + lead form {lead_form.name!r}")
    return lead_form


def add_block(page: Any, lead_form: LeadForm, stdout: Any = None) -> bool:
    """Append the lead form block to ``page`` and publish it, unless it has one already."""
    if any(block.block_type == "lead_form" for block in page.body):
        return False
    page.body.append(("lead_form", {"form": lead_form, "heading": ""}))
    page.save_revision().publish()
    _write(stdout, f"  + lead form block on {page.title!r} ({page.locale.language_code})")
    return True


def load_capture_demo(stdout: Any = None) -> None:
    """The demo's lead forms, gated document and landing page blocks (idempotent)."""
    from wagtail.models import Locale

    from magpie.content.demo import demo_key
    from magpie.content.models import LandingPage

    with transaction.atomic():
        document = gated_document(stdout)
        for code in FORMS:
            lead_form = demo_form(code, document, stdout)
            locale = Locale.objects.filter(language_code=code).first()
            if locale is None:
                continue
            page = LandingPage.objects.filter(
                translation_key=demo_key("landing:whitepaper"), locale=locale
            ).first()
            if page is not None:
                add_block(page, lead_form, stdout)
