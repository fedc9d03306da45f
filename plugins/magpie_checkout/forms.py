"""Forms of the shop's public and account pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from magpie.people.models import VAT_ID_SHAPE
from magpie_checkout.accounts import COMPANY_CURRENCIES
from magpie_checkout.models import (
    REGISTRATION_FIELDS,
    Address,
    CompanyMember,
    CompanyRegistration,
    Role,
)

COUNTRIES = [
    ("CH", _("Switzerland")),
    ("DE", _("Germany")),
    ("AT", _("Austria")),
    ("LI", _("Liechtenstein")),
    ("FR", _("France")),
    ("IT", _("Italy")),
]


class RegistrationForm(forms.ModelForm):
    """A company's request for an account."""

    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES)
    currency = forms.ChoiceField(label=_("Currency"), choices=[(c, c) for c in COMPANY_CURRENCIES])

    class Meta:
        model = CompanyRegistration
        fields = REGISTRATION_FIELDS

    def clean_vat_id(self) -> str:
        vat_id = (self.cleaned_data.get("vat_id") or "").replace(" ", "").upper()
        if vat_id:
            try:
                VAT_ID_SHAPE(vat_id)
            except ValidationError as exc:
                raise ValidationError(
                    _("Enter a VAT ID such as CHE-123.456.789 or DE123456789.")
                ) from exc
        return vat_id

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class NewUserForm(forms.Form):
    """A new user's name and password (accepting an invitation)."""

    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class InviteForm(forms.Form):
    """Invite a user to the company."""

    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.BUYER)


class MemberForm(forms.ModelForm):
    """A company admin changes a user's role, budget or state."""

    class Meta:
        model = CompanyMember
        fields = ["role", "order_limit", "monthly_budget", "active"]


class AddressForm(forms.ModelForm):
    """A company address (the company comes from the logged-in user, never from the form)."""

    country = forms.ChoiceField(label=_("Country"), choices=COUNTRIES)

    class Meta:
        model = Address
        fields = [
            "kind",
            "label",
            "company_name",
            "name",
            "street",
            "street2",
            "postal_code",
            "city",
            "country",
            "is_default",
        ]


class ListNameForm(forms.Form):
    """The name of an order list."""

    name = forms.CharField(label=_("Name"), max_length=200)

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Give the list a name."))
        return name


class UploadForm(forms.Form):
    """A CSV or XLSX file of sku and quantity."""

    file = forms.FileField(
        label=_("CSV or Excel file"),
        help_text=_("Columns sku and quantity; at most 1,000 rows and 1 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )


def field_errors(form: Any) -> dict[str, list[str]]:
    """The form's errors by field (for templates that render fields by hand)."""
    return {name: list(errors) for name, errors in form.errors.items()}
