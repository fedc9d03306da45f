"""VAT by destination for a Swiss and a German seller; reverse charge; rounding."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from magpie_checkout.tax import Tax, TaxError, order_tax, tax_amount, vat_id_valid_for


def company(vat_id: str = "") -> SimpleNamespace:
    return SimpleNamespace(vat_id=vat_id)


@pytest.mark.parametrize(
    ("destination", "expected"),
    [
        ("CH", Tax(Decimal("8.1"), False, "CH", "domestic")),
        ("LI", Tax(Decimal("8.1"), False, "LI", "domestic")),
        ("DE", Tax(Decimal("0"), False, "DE", "export")),
        ("AT", Tax(Decimal("0"), False, "AT", "export")),
        ("US", Tax(Decimal("0"), False, "US", "export")),
    ],
)
def test_a_swiss_seller_charges_swiss_vat_at_home_and_nothing_on_exports(
    settings, destination, expected
):
    settings.MAGPIE_SELLER_COUNTRY = "CH"
    assert order_tax(company("DE123456789"), destination, "CHF") == expected


def test_the_seller_is_swiss_by_default(settings):
    del settings.MAGPIE_SELLER_COUNTRY
    assert order_tax(company(), "ch", "CHF").rate == Decimal("8.1")


@pytest.mark.parametrize(
    ("destination", "vat_id", "expected"),
    [
        ("DE", "DE123456789", Tax(Decimal("19"), False, "DE", "domestic")),
        ("AT", "ATU12345678", Tax(Decimal("0"), True, "AT", "reverse_charge")),
        ("AT", "ATU 1234 5678", Tax(Decimal("0"), True, "AT", "reverse_charge")),
        ("FR", "FRXX123456789", Tax(Decimal("0"), True, "FR", "reverse_charge")),
        ("IT", "IT12345678901", Tax(Decimal("0"), True, "IT", "reverse_charge")),
        ("NL", "NL123456789B01", Tax(Decimal("0"), True, "NL", "reverse_charge")),
        # no VAT ID, or one of another country or of the wrong shape: destination rate
        ("AT", "", Tax(Decimal("20"), False, "AT", "destination")),
        ("AT", "DE123456789", Tax(Decimal("20"), False, "AT", "destination")),
        ("AT", "ATU1234567", Tax(Decimal("20"), False, "AT", "destination")),
        ("IT", "IT1234", Tax(Decimal("22"), False, "IT", "destination")),
        ("FR", "", Tax(Decimal("20"), False, "FR", "destination")),
        ("NL", "", Tax(Decimal("21"), False, "NL", "destination")),
        ("BE", "", Tax(Decimal("21"), False, "BE", "destination")),
        # outside the EU: export
        ("CH", "CHE-123.456.789", Tax(Decimal("0"), False, "CH", "export")),
        ("US", "", Tax(Decimal("0"), False, "US", "export")),
    ],
)
def test_a_german_seller(settings, destination, vat_id, expected):
    settings.MAGPIE_SELLER_COUNTRY = "DE"
    assert order_tax(company(vat_id), destination, "EUR") == expected


def test_an_eu_destination_without_a_known_rate_is_an_error_never_zero(settings):
    settings.MAGPIE_SELLER_COUNTRY = "DE"
    with pytest.raises(TaxError, match="HU"):
        order_tax(company(), "HU", "EUR")
    settings.MAGPIE_VAT_RATES = {"HU": "27"}
    assert order_tax(company(), "HU", "EUR").rate == Decimal("27")


def test_bad_countries_are_refused(settings):
    settings.MAGPIE_SELLER_COUNTRY = "US"
    with pytest.raises(TaxError, match="US"):
        order_tax(company(), "DE", "EUR")
    settings.MAGPIE_SELLER_COUNTRY = "CH"
    with pytest.raises(TaxError):
        order_tax(company(), "Germany", "EUR")


def test_vat_id_formats_per_country():
    assert vat_id_valid_for("DE 123.456.789", "DE")
    assert not vat_id_valid_for("DE12345678", "DE")
    assert not vat_id_valid_for("ATU12345678", "DE")
    assert vat_id_valid_for("BE0123456789", "BE")
    assert not vat_id_valid_for("XX123", "XX")


def test_tax_is_rounded_half_up_to_the_cent_on_the_net_sum():
    assert tax_amount(Decimal("10.50"), Decimal("8.1")) == Decimal("0.85")  # 0.8505
    assert tax_amount(Decimal("0.50"), Decimal("19")) == Decimal("0.10")  # 0.095 → 0.10
    assert tax_amount(Decimal("1.30"), Decimal("8.1")) == Decimal("0.11")  # 0.1053
    assert tax_amount(Decimal("100.00"), Decimal("0")) == Decimal("0.00")
