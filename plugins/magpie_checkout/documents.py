"""Invoices and credit notes as PDF (rendered from :attr:`Document.data`, so a document
reads the same years later).

An A4 page (more when the lines need them) drawn with reportlab: the seller's header,
the buyer's billing address, the document's number and date, the due date and payment
terms, the order number and date, the PO number, the buyer's VAT ID, the line table
(position, SKU, name, quantity, unit price, net), shipping, net / VAT / gross, the VAT
note (``Steuerschuldnerschaft des Leistungsempfängers / reverse charge`` for a
reverse-charge order, the export note for a tax-free export), and how to pay (IBAN, bank,
BIC, payment reference); a credit note names the invoice it corrects and the reason. A
footer on every page repeats the seller, its VAT ID and IBAN.

Text is set in Helvetica, one of the PDF standard fonts, in reportlab's WinAnsi encoding:
``€``, umlauts and ``ß`` render without embedding a font. Labels are translated into the
document's language (``data["language"]``, chosen when it was issued); amounts and dates
are formatted for it (``1.064,79`` in German, ``1,064.79`` in English). Everything taken
from the data is escaped before it reaches reportlab's paragraph markup.
"""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import formats, translation
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from magpie_checkout.models import Document

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
MARGIN = 20 * mm


def filename(document: Document) -> str:
    """``invoice-R-2026-000001.pdf`` / ``credit-note-G-2026-000001.pdf``."""
    prefix = "invoice" if document.kind == Document.Kind.INVOICE else "credit-note"
    safe = "".join(c for c in document.number if c.isalnum() or c in "-_")
    return f"{prefix}-{safe}.pdf"


def _text(value: Any) -> str:
    """``value`` as text safe for reportlab's paragraph markup."""
    return escape(str(value if value is not None else ""))


def _amount(value: Any) -> str:
    return formats.number_format(Decimal(str(value or 0)), 2, use_l10n=True, force_grouping=True)


def _quantity(value: Any) -> str:
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)


def _unit(value: Any) -> str:
    """A unit price: two decimals, four when it has them (``2.1275``)."""
    number = Decimal(str(value or 0))
    places = 2 if number == number.quantize(Decimal("0.01")) else 4
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


def _date(value: Any) -> str:
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.date.fromisoformat(value[:10])
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def rate_label(value: Any) -> str:
    """A VAT rate for the current language: ``8,1 %`` / ``8.1 %``, ``19 %``."""
    number = Decimal(str(value or 0)).normalize()
    text = formats.number_format(
        number,
        max(-number.as_tuple().exponent, 0),
        use_l10n=True,  # type: ignore[operator]
    )
    return f"{text} %"


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9, leading=11.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "seller": ParagraphStyle("seller", parent=base, fontName=BOLD, fontSize=14, leading=17),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=15, leading=19),
        "right": ParagraphStyle("right", parent=base, alignment=2),
        "bold": ParagraphStyle("bold", parent=base, fontName=BOLD),
        "bold_right": ParagraphStyle("bold_right", parent=base, fontName=BOLD, alignment=2),
    }


def _address_lines(address: dict[str, Any]) -> list[str]:
    lines = [
        address.get("company_name", ""),
        address.get("name", ""),
        address.get("street", ""),
        address.get("street2", ""),
        " ".join(p for p in (address.get("postal_code", ""), address.get("city", "")) if p),
        address.get("country", ""),
    ]
    return [line for line in lines if line]


def _paragraph(lines: list[str], style: ParagraphStyle) -> Paragraph:
    return Paragraph("<br/>".join(_text(line) for line in lines), style)


def _footer(seller: dict[str, Any]):
    parts = [seller.get("name", "")]
    if seller.get("vat_id"):
        parts.append(pgettext("invoice", "VAT ID") + " " + seller["vat_id"])
    if seller.get("iban"):
        parts.append("IBAN " + seller["iban"])
    if seller.get("bic"):
        parts.append("BIC " + seller["bic"])
    text = " · ".join(str(p) for p in parts if p)

    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.grey)
        canvas.drawString(MARGIN, 12 * mm, text)
        canvas.drawRightString(
            A4[0] - MARGIN, 12 * mm, pgettext("invoice", "Page %(page)d") % {"page": doc.page}
        )
        canvas.restoreState()

    return draw


def _flush(table: Table, *extra: tuple[Any, ...]) -> None:
    """Align ``table``'s cells to the top and its outer columns to the page margins."""
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
                *extra,
            ]
        )
    )


def _story(document: Document, data: dict[str, Any]) -> list[Any]:
    st = _styles()
    seller = data.get("seller") or {}
    buyer = data.get("buyer") or {}
    order = data.get("order") or {}
    vat = data.get("vat") or {}
    totals = data.get("totals") or {}
    payment = data.get("payment") or {}
    currency = data.get("currency") or document.currency
    invoice = document.kind == Document.Kind.INVOICE
    story: list[Any] = []

    # Seller header (left) and contact (right).
    contact = [
        *(seller.get("address") or []),
        seller.get("email", ""),
        seller.get("phone", ""),
        (pgettext("invoice", "VAT ID") + " " + seller["vat_id"]) if seller.get("vat_id") else "",
    ]
    header = Table(
        [
            [
                Paragraph(_text(seller.get("name", "")), st["seller"]),
                _paragraph([c for c in contact if c], st["right"]),
            ]
        ],
        colWidths=[95 * mm, 75 * mm],
    )
    _flush(header)
    story += [header, Spacer(1, 14 * mm)]

    # Buyer's address (left) and the document's facts (right).
    billing = _address_lines(data.get("billing_address") or {}) or [buyer.get("company", "")]
    facts: list[tuple[str, str]] = [
        (pgettext("invoice", "Date"), _date(data.get("issued_on"))),
    ]
    if invoice and data.get("due_date"):
        facts.append((pgettext("invoice", "Due date"), _date(data.get("due_date"))))
    if not invoice and data.get("invoice_number"):
        facts.append((pgettext("invoice", "For invoice"), data["invoice_number"]))
    facts.append((pgettext("invoice", "Order"), order.get("number", "")))
    if order.get("placed_on"):
        facts.append((pgettext("invoice", "Order date"), _date(order.get("placed_on"))))
    if order.get("po_number"):
        facts.append((pgettext("invoice", "PO number"), order["po_number"]))
    if buyer.get("customer"):
        facts.append((pgettext("invoice", "Customer number"), buyer["customer"]))
    if buyer.get("vat_id"):
        facts.append((pgettext("invoice", "Your VAT ID"), buyer["vat_id"]))
    fact_table = Table(
        [[Paragraph(_text(k), st["base"]), Paragraph(_text(v), st["right"])] for k, v in facts],
        colWidths=[30 * mm, 45 * mm],
    )
    _flush(
        fact_table, ("TOPPADDING", (0, 0), (-1, -1), 0.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5)
    )
    top = Table([[_paragraph(billing, st["base"]), fact_table]], colWidths=[95 * mm, 75 * mm])
    _flush(top)
    story += [top, Spacer(1, 6 * mm)]
    shipping = _address_lines(data.get("shipping_address") or {})
    if shipping and shipping != billing:
        story.append(
            Paragraph(
                "<b>"
                + _text(pgettext("invoice", "Delivered to"))
                + ":</b> "
                + _text(", ".join(shipping)),
                st["small"],
            )
        )
        story.append(Spacer(1, 4 * mm))

    title = pgettext("invoice", "Invoice") if invoice else pgettext("invoice", "Credit note")
    story += [Paragraph(_text(f"{title} {document.number}"), st["title"]), Spacer(1, 4 * mm)]

    # Lines.
    head = [
        pgettext("invoice", "Pos."),
        pgettext("invoice", "SKU"),
        pgettext("invoice", "Description"),
        pgettext("invoice", "Qty"),
        pgettext("invoice", "Unit price"),
        pgettext("invoice", "Net"),
    ]
    rows: list[list[Any]] = [
        [Paragraph(_text(h), st["bold_right" if i >= 3 else "bold"]) for i, h in enumerate(head)]
    ]
    for line in data.get("lines") or []:
        rows.append(
            [
                Paragraph(_text(line.get("position", "")), st["base"]),
                Paragraph(_text(line.get("sku", "")), st["base"]),
                Paragraph(_text(line.get("name", "")), st["base"]),
                Paragraph(_quantity(line.get("quantity", 0)), st["right"]),
                Paragraph(_unit(line.get("unit_net")), st["right"]),
                Paragraph(_amount(line.get("line_net")), st["right"]),
            ]
        )
    shipping_cost = data.get("shipping") or {}
    if invoice and shipping_cost and Decimal(str(shipping_cost.get("net") or 0)) != 0:
        rows.append(
            [
                "",
                "",
                Paragraph(
                    _text(
                        pgettext("invoice", "Shipping") + f" ({shipping_cost.get('method', '')})"
                    ),
                    st["base"],
                ),
                "",
                "",
                Paragraph(_amount(shipping_cost.get("net")), st["right"]),
            ]
        )
    table = Table(
        rows,
        colWidths=[12 * mm, 30 * mm, 64 * mm, 16 * mm, 24 * mm, 24 * mm],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.lightgrey),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("RIGHTPADDING", (-1, 0), (-1, -1), 0),
            ]
        )
    )
    story += [table, Spacer(1, 4 * mm)]

    # Totals.
    vat_label = pgettext("invoice", "VAT %(rate)s") % {"rate": rate_label(vat.get("rate"))}
    total_rows = [
        [pgettext("invoice", "Net"), f"{_amount(totals.get('net'))} {currency}"],
        [vat_label, f"{_amount(totals.get('tax'))} {currency}"],
        [
            pgettext("invoice", "Total") if invoice else pgettext("invoice", "Total credit"),
            f"{_amount(totals.get('gross'))} {currency}",
        ],
    ]
    totals_table = Table(
        [
            [
                Paragraph(_text(k), st["bold" if i == 2 else "base"]),
                Paragraph(_text(v), st["bold_right" if i == 2 else "right"]),
            ]
            for i, (k, v) in enumerate(total_rows)
        ],
        colWidths=[40 * mm, 35 * mm],
        hAlign="RIGHT",
    )
    _flush(totals_table, ("LINEABOVE", (0, 2), (-1, 2), 0.8, colors.black))
    story += [totals_table, Spacer(1, 6 * mm)]

    # Notes: VAT, reason, payment.
    if vat.get("note"):
        story += [Paragraph(_text(vat["note"]), st["bold"]), Spacer(1, 2 * mm)]
    if vat.get("reverse_charge") and buyer.get("vat_id"):
        story.append(
            Paragraph(
                _text(
                    pgettext(
                        "invoice",
                        "VAT ID of the recipient: %(vat_id)s; VAT ID of the supplier: %(seller)s.",
                    )
                    % {"vat_id": buyer["vat_id"], "seller": seller.get("vat_id") or "—"}
                ),
                st["base"],
            )
        )
        story.append(Spacer(1, 2 * mm))
    if not invoice and data.get("reason"):
        story += [
            Paragraph(
                _text(pgettext("invoice", "Reason: %(reason)s") % {"reason": data["reason"]}),
                st["base"],
            ),
            Spacer(1, 2 * mm),
        ]
    if invoice:
        pay = [
            pgettext(
                "invoice", "Please pay %(amount)s %(currency)s by %(date)s (%(days)s days net)."
            )
            % {
                "amount": _amount(totals.get("gross")),
                "currency": currency,
                "date": _date(data.get("due_date")),
                "days": payment.get("terms_days", ""),
            }
            if payment.get("method") != "prepayment"
            else pgettext(
                "invoice", "Prepayment: please transfer %(amount)s %(currency)s by %(date)s."
            )
            % {
                "amount": _amount(totals.get("gross")),
                "currency": currency,
                "date": _date(data.get("due_date")),
            }
        ]
        if seller.get("iban"):
            bank = ", ".join(
                p
                for p in (
                    seller.get("name", ""),
                    "IBAN " + seller["iban"],
                    ("BIC " + seller["bic"]) if seller.get("bic") else "",
                    seller.get("bank", ""),
                )
                if p
            )
            pay.append(pgettext("invoice", "Account: %(bank)s") % {"bank": bank})
        if payment.get("reference"):
            pay.append(
                pgettext("invoice", "Payment reference: %(ref)s") % {"ref": payment["reference"]}
            )
        story.append(_paragraph(pay, st["base"]))
    else:
        story.append(
            Paragraph(
                _text(pgettext("invoice", "We credit this amount to your account or refund it.")),
                st["base"],
            )
        )
    return story


def render_pdf(document: Document) -> bytes:
    """The document as an A4 PDF (see the module's docstring)."""
    data = dict(document.data or {})
    language = data.get("language") or settings.LANGUAGE_CODE
    buffer = io.BytesIO()
    with translation.override(language):
        seller = data.get("seller") or {}
        kind = (
            pgettext("invoice", "Invoice")
            if document.kind == Document.Kind.INVOICE
            else pgettext("invoice", "Credit note")
        )
        title = f"{kind} {document.number}"
        pdf = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=18 * mm,
            bottomMargin=22 * mm,
            title=title,
            author=str(seller.get("name", "")),
            creator="Magpie",
        )
        footer = _footer(seller)
        pdf.build(_story(document, data), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
