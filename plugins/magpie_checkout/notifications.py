"""The buyer's emails about an order, sent after the commit through Django's mail.

============================  ============================================  ===============
email (``kind``)              sent when                                     attachment
============================  ============================================  ===============
``confirmation``              the order is placed (the ``order.placed``     —
                              event, also after an approval)
``shipped``                   a shipment left (:func:`oms.ship`): carrier,  —
                              tracking numbers and links of every parcel
``invoiced``                  the invoice was issued                        the invoice PDF
``cancelled``                 the order was cancelled                       —
``credit_note``               a return was registered                       the credit
                                                                            note PDF
============================  ============================================  ===============

How they are sent:

* :mod:`magpie_checkout.oms` queues them with ``transaction.on_commit``: a rolled-back step
  sends nothing, and a failing email is logged (``magpie.checkout``) and never undoes the
  step.
* The confirmation comes from the outbox: the plugin's ``handle_event`` hook receives
  ``order.placed`` (emitted by placement, or by the approval of a requester's order) and
  calls :func:`handle`. The outbox delivers at least once; the confirmation is sent once
  per order and recipient all the same, because every sent email is written on the order's
  timeline (``OrderEvent`` kind ``email``, message ``"confirmation → address"``) and a
  redelivered event skips recipients already there. A failure is logged and raised, so
  the outbox retries it later.

To whom: the user who placed the order; when that user is gone, inactive or without an
address, the company's active admins. In which language: the recipient's contact on the
order's site (``Contact.locale``), else their Wagtail admin language, else the site's
default (``LANGUAGE_CODE``); the templates render under
:func:`django.utils.translation.override`. From ``DEFAULT_FROM_EMAIL``, through the
operator's ``EMAIL_BACKEND`` (SMTP or anymail). Templates:
``magpie_checkout/emails/order_<kind>.txt`` and ``.html`` (on ``order_email_base.html``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext as _

from magpie_checkout.models import CompanyMember, Document, Order, OrderEvent, Role, Shipment

logger = logging.getLogger("magpie.checkout")

KINDS = ("confirmation", "shipped", "invoiced", "cancelled", "credit_note")
#: The domain events the plugin's ``handle_event`` wants.
WANTED = ("order.placed",)


# -- who and in which language --------------------------------------------------------------


def _supported(code: str | None) -> str | None:
    """``code`` (or its base language, ``de-ch`` → ``de``) if the site offers it."""
    if not code:
        return None
    offered = {c.lower() for c, _name in settings.LANGUAGES}
    code = code.strip().lower().replace("_", "-")
    if code in offered:
        return code
    base = code.split("-")[0]
    return base if base in offered else None


def language_of(user: Any, order: Order) -> str:
    """The language to write to ``user`` about ``order`` in (see the module's docstring)."""
    from magpie.people.models import Contact

    email = (getattr(user, "email", "") or "").strip().lower()
    if email:
        locale = (
            Contact.objects.filter(site_id=order.site_id, email=email)
            .values_list("locale", flat=True)
            .first()
        )
        if _supported(locale):
            return _supported(locale)
    profile = getattr(user, "wagtail_userprofile", None) if user is not None else None
    found = _supported(getattr(profile, "preferred_language", None))
    if found:
        return found
    return _supported(settings.LANGUAGE_CODE) or settings.LANGUAGE_CODE


def recipients(order: Order) -> list[Any]:
    """Who gets the order's emails: the user who placed it, else the company's admins."""
    user = order.placed_by
    if user is not None and user.is_active and user.email:
        return [user]
    admins = CompanyMember.objects.filter(
        company_id=order.company_id, role=Role.ADMIN, active=True, user__is_active=True
    ).select_related("user")
    return [m.user for m in admins.order_by("pk") if m.user.email]


def language_of_order(order: Order) -> str:
    """The language of the order's documents: that of its first recipient."""
    found = recipients(order)
    return language_of(found[0] if found else None, order)


# -- sending --------------------------------------------------------------------------------


def _absolute(order: Order, path: str) -> str:
    from magpie_checkout.accounts import absolute_url

    return absolute_url(path, order.site)


def _order_url(order: Order) -> str:
    try:
        return _absolute(order, reverse("magpie_checkout:order", args=[order.number]))
    except NoReverseMatch:
        return ""


def _subject(kind: str, order: Order, document: Document | None, partial: bool) -> str:
    number = order.number
    if kind == "confirmation":
        return _("Your order %(number)s – thank you") % {"number": number}
    if kind == "shipped":
        if partial:
            return _("Part of your order %(number)s is on its way") % {"number": number}
        return _("Your order %(number)s is on its way") % {"number": number}
    if kind == "invoiced":
        return _("Invoice %(document)s for your order %(number)s") % {
            "document": document.number if document else "",
            "number": number,
        }
    if kind == "cancelled":
        return _("Your order %(number)s was cancelled") % {"number": number}
    return _("Credit note %(document)s for your order %(number)s") % {
        "document": document.number if document else "",
        "number": number,
    }


def _already_sent(order: Order, kind: str) -> set[str]:
    """Addresses that already got the ``kind`` email of ``order`` (from its timeline)."""
    prefix = f"{kind} → "
    messages = OrderEvent.objects.filter(
        order=order, kind="email", message__startswith=prefix
    ).values_list("message", flat=True)
    return {message[len(prefix) :].strip().lower() for message in messages}


def send_order_email(
    kind: str,
    order_id: int,
    *,
    shipment: int | None = None,
    document: int | None = None,
    once: bool = False,
) -> int:
    """Send the buyer's ``kind`` email (see :data:`KINDS`) about order ``order_id``;
    ``shipment``/``document`` name the parcel or the document it is about. With ``once``,
    recipients who already got this kind of email for the order are skipped. Returns how
    many emails were sent; raises when sending fails (callers log it)."""
    if kind not in KINDS:
        raise ValueError(f"unknown email {kind!r}")
    order = Order.objects.select_related("company", "placed_by", "site").get(pk=order_id)
    doc = Document.objects.filter(pk=document, order=order).first() if document else None
    parcel = (
        Shipment.objects.filter(pk=shipment, order=order).prefetch_related("lines").first()
        if shipment
        else None
    )
    lines = list(order.lines.order_by("position"))
    by_line = {line.pk: line for line in lines}
    parcel_lines = (
        [(by_line.get(item.order_line_id), item.quantity) for item in parcel.lines.all()]
        if parcel
        else []
    )
    partial = any(line.shipped_quantity < line.quantity for line in lines)
    attachment = None
    if doc is not None and kind in ("invoiced", "credit_note"):
        from magpie_checkout.documents import filename, render_pdf

        attachment = (filename(doc), render_pdf(doc), "application/pdf")
    from magpie_checkout.oms import seller

    skip = _already_sent(order, kind) if once else set()
    sent = 0
    for user in recipients(order):
        address = user.email.strip()
        if address.lower() in skip:
            continue
        context = {
            "order": order,
            "lines": lines,
            "recipient": user,
            "shipment": parcel,
            "shipment_lines": parcel_lines,
            "shipments": list(order.shipments.all()) if kind == "shipped" else [],
            "partial": partial,
            "document": doc,
            "seller": seller(),
            "order_url": _order_url(order),
            "kind": kind,
        }
        with translation.override(language_of(user, order)):
            from magpie_checkout.documents import rate_label

            context["vat_rate"] = rate_label(order.vat_rate)
            subject = _subject(kind, order, doc, partial)
            context["subject"] = subject
            text = render_to_string(f"magpie_checkout/emails/order_{kind}.txt", context)
            html = render_to_string(f"magpie_checkout/emails/order_{kind}.html", context)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [address])
        message.attach_alternative(html, "text/html")
        if attachment is not None:
            message.attach(*attachment)
        message.send()
        OrderEvent.objects.create(order=order, kind="email", message=f"{kind} → {address}"[:500])
        sent += 1
    return sent


# -- the outbox -----------------------------------------------------------------------------


def handle(event: Any) -> None:
    """A delivered domain event: ``order.placed`` sends the order confirmation once."""
    if event.type != "order.placed":
        return
    payload = dict(event.payload or {})
    try:
        order_id = int(payload.get("order"))
    except (TypeError, ValueError):
        logger.warning("order.placed event %s names no order", event.id)
        return
    state = Order.objects.filter(pk=order_id).values_list("state", flat=True).first()
    if state is None:
        logger.warning("order.placed event %s: order %s is gone", event.id, order_id)
        return
    if state in ("cancelled", "rejected"):  # a late (retried) delivery: nothing to confirm
        return
    try:
        send_order_email("confirmation", order_id, once=True)
    except Exception:
        logger.exception("Could not send the confirmation of order %s", order_id)
        raise
