"""VAT of an order by destination, for a seller in Switzerland or in the EU.

The seller's country is the setting ``MAGPIE_SELLER_COUNTRY`` (default ``"CH"``). Rules:

* **Swiss seller** (CH, or LI: one VAT area): delivery to CH/LI → 8.1 %; anywhere else →
  0 % (``export``).
* **EU seller**: delivery in the seller's country → its rate (``domestic``); to another
  EU country for a company whose VAT ID has a valid format *for that country* → 0 %
  (``reverse_charge``); to another EU country without one → the destination's rate
  (``destination`` — a simplification of the OSS rules, see docs/checkout.md); outside the
  EU → 0 % (``export``).

Rates come from :data:`RATES`, overridable per country with the setting
``MAGPIE_VAT_RATES`` (``{"DE": "19"}``). A destination in the EU without a known rate is an
error (:class:`TaxError`), never a silent 0 %.

Money: the tax of an order is ``round_half_up(net × rate / 100, 0.01)`` on the order's net
sum (goods and shipping), once per order (:func:`tax_amount`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

CENT = Decimal("0.01")

#: The Swiss VAT area (Switzerland and Liechtenstein).
SWISS_AREA = frozenset({"CH", "LI"})
#: EU member states (ISO 3166-1; Greece's VAT prefix is EL, its country code GR).
EU = frozenset(
    "AT BE BG CY CZ DE DK EE ES FI FR GR HR HU IE IT LT LU LV MT NL PL PT RO SE SI SK".split()
)
#: Standard VAT rates in percent. Countries of the EU missing here raise :class:`TaxError`;
#: add them (or correct a changed rate) with the setting ``MAGPIE_VAT_RATES``.
RATES: dict[str, Decimal] = {
    "CH": Decimal("8.1"),
    "LI": Decimal("8.1"),
    "AT": Decimal("20"),
    "BE": Decimal("21"),
    "CZ": Decimal("21"),
    "DE": Decimal("19"),
    "DK": Decimal("25"),
    "ES": Decimal("21"),
    "FI": Decimal("25.5"),
    "FR": Decimal("20"),
    "IE": Decimal("23"),
    "IT": Decimal("22"),
    "LU": Decimal("17"),
    "NL": Decimal("21"),
    "PL": Decimal("23"),
    "PT": Decimal("23"),
    "SE": Decimal("25"),
}
#: The format of a VAT ID per country (after removing spaces, dots and dashes).
VAT_ID_FORMATS: dict[str, re.Pattern[str]] = {
    code: re.compile(pattern)
    for code, pattern in {
        "AT": r"ATU\d{8}",
        "BE": r"BE[01]\d{9}",
        "CZ": r"CZ\d{8,10}",
        "DE": r"DE\d{9}",
        "DK": r"DK\d{8}",
        "ES": r"ES[0-9A-Z]\d{7}[0-9A-Z]",
        "FI": r"FI\d{8}",
        "FR": r"FR[0-9A-HJ-NP-Z]{2}\d{9}",
        "IE": r"IE\d[0-9A-Z+*]\d{5}[A-W][A-I]?",
        "IT": r"IT\d{11}",
        "LU": r"LU\d{8}",
        "NL": r"NL\d{9}B\d{2}",
        "PL": r"PL\d{10}",
        "PT": r"PT\d{9}",
        "SE": r"SE\d{10}01",
    }.items()
}


class TaxError(ValueError):
    """No VAT rule for this seller or destination (never answered with a silent 0 %)."""


@dataclass(frozen=True)
class Tax:
    """The VAT of an order: ``rate`` in percent, and why (``reason``)."""

    rate: Decimal
    reverse_charge: bool
    country: str
    reason: str = "domestic"


def seller_country() -> str:
    """The seller's country (``MAGPIE_SELLER_COUNTRY``, default ``CH``)."""
    return str(getattr(settings, "MAGPIE_SELLER_COUNTRY", "CH") or "CH").upper()


def rate_of(country: str) -> Decimal:
    """The standard VAT rate of ``country`` in percent; :class:`TaxError` when unknown."""
    overrides = getattr(settings, "MAGPIE_VAT_RATES", None) or {}
    if country in overrides:
        return Decimal(str(overrides[country]))
    if country in RATES:
        return RATES[country]
    raise TaxError(
        _("No VAT rate is configured for %(country)s (setting MAGPIE_VAT_RATES).")
        % {"country": country}
    )


def normalise_vat_id(vat_id: str) -> str:
    """``vat_id`` upper-cased without spaces, dots and dashes."""
    return re.sub(r"[\s.\-]", "", vat_id or "").upper()


def vat_id_valid_for(vat_id: str, country: str) -> bool:
    """Whether ``vat_id`` has the format of a VAT ID of ``country`` (the format only; no
    VIES look-up)."""
    pattern = VAT_ID_FORMATS.get(country)
    return bool(pattern and pattern.fullmatch(normalise_vat_id(vat_id)))


def order_tax(company: Any, country: str, currency: str) -> Tax:
    """The VAT of an order of ``company`` delivered to ``country`` (see the module's rules).

    ``currency`` does not change the rate; it is part of the hook's signature for plugins
    that need it. Raises :class:`TaxError` for an unknown seller or EU destination.
    """
    seller = seller_country()
    destination = (country or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", destination):
        raise TaxError(
            _("The delivery country %(country)r is not an ISO code.") % {"country": country}
        )
    if seller in SWISS_AREA:
        if destination in SWISS_AREA:
            return Tax(rate_of(destination), False, destination, "domestic")
        return Tax(Decimal("0"), False, destination, "export")
    if seller not in EU:
        raise TaxError(
            _("The seller country %(country)s is neither in the Swiss VAT area nor in the EU.")
            % {"country": seller}
        )
    if destination == seller:
        return Tax(rate_of(seller), False, destination, "domestic")
    if destination not in EU:
        return Tax(Decimal("0"), False, destination, "export")
    vat_id = getattr(company, "vat_id", "") or ""
    if company is not None and vat_id_valid_for(vat_id, destination):
        return Tax(Decimal("0"), True, destination, "reverse_charge")
    return Tax(rate_of(destination), False, destination, "destination")


def tax_amount(net: Decimal, rate: Decimal) -> Decimal:
    """The VAT on ``net`` at ``rate`` percent, rounded half up to 0.01."""
    return (net * rate / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
