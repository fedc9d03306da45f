"""The Django form of a lead form, built from the :class:`~magpie_leads.models.LeadForm`.

Every form asks for the email; the editor's field blocks follow, then the consent checkbox
(its label is the form's ``consent_text``, stored word for word), hidden UTM fields, the
landing page, a one-time token (idempotency) and a honeypot. :func:`form_class` builds the
class; :func:`ask_fields` decides which fields a known contact is asked (progressive
profiling), and the fields not asked are not required.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from magpie.journey.recording import UTM_FIELDS, clean_text
from magpie.people.models import Company, Contact
from magpie_leads.models import FieldTarget, LeadForm

#: The largest request body a submission may have (bytes).
MAX_BODY_BYTES = 20 * 1024
#: The visually hidden field only bots fill in.
HONEYPOT = "website"
TOKEN = "token"
PAGE = "page"
EMAIL = "email"
CONSENT = "consent"
#: Names an editor's custom key may not take.
RESERVED = frozenset({EMAIL, CONSENT, PAGE, TOKEN, HONEYPOT, *UTM_FIELDS, *FieldTarget.values})
#: Contact fields a target fills (company fields are written to the company).
CONTACT_TARGETS = ("first_name", "last_name", "phone", "job_title", "country")
COMPANY_TARGETS = ("company", "company_size", "industry")
#: Targets never "known": asked every time.
ALWAYS_ASKED = frozenset({FieldTarget.MESSAGE})
#: ISO 3166-1 alpha-2 codes (the regions libphonenumber knows: every country and territory).
COUNTRY_CODES = frozenset(phonenumbers.SUPPORTED_REGIONS)

_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9-]{16,64}$")
_PHONE_SHAPE = RegexValidator(
    r"^\+?[0-9 ()./-]{5,40}$",
    _("Enter a phone number of digits, spaces and + ( ) - / . only."),
)


@dataclass(frozen=True)
class FieldSpec:
    """One question of a lead form: its form field name, target, label and requiredness."""

    name: str
    target: str
    label: str
    required: bool
    help_text: str


def field_specs(lead_form: LeadForm) -> list[FieldSpec]:
    """The editor's fields of ``lead_form`` in order, one per name (a repeated target or key
    keeps its first field); a custom field without a usable key is named ``custom_<n>``."""
    specs: list[FieldSpec] = []
    taken: set[str] = set()
    for index, block in enumerate(lead_form.fields or [], start=1):
        if block.block_type != "field":
            continue
        value = block.value
        target = value.get("target") or FieldTarget.CUSTOM
        if target not in FieldTarget.values:  # a target a later version dropped
            target = FieldTarget.CUSTOM
        if target == FieldTarget.CUSTOM:
            key = (value.get("key") or "").strip()
            name = key if key and key not in RESERVED else f"custom_{index}"
        else:
            name = str(target)
        if name in taken:
            continue
        taken.add(name)
        specs.append(
            FieldSpec(
                name=name,
                target=str(target),
                label=str(value.get("label") or FieldTarget(target).label),
                required=bool(value.get("required")),
                help_text=str(value.get("help_text") or ""),
            )
        )
    return specs


def known_fields(contact: Contact | None) -> set[str]:
    """The targets ``contact`` has a value for (its own fields and its company's)."""
    if contact is None:
        return set()
    known = {name for name in CONTACT_TARGETS if getattr(contact, name, "")}
    company = contact.company if contact.company_id else None
    if company is not None:
        known.add("company")
        if company.size:
            known.add("company_size")
        if company.industry:
            known.add("industry")
    return known


def ask_fields(lead_form: LeadForm, contact: Contact | None) -> list[str]:
    """The field names to ask: all of them for an unknown visitor; for a known ``contact``
    (progressive profiling on) the unknown ones, at most ``max_fields_for_known`` (a message
    field is always asked and not counted). The email is always asked (not listed)."""
    specs = field_specs(lead_form)
    if contact is None or not lead_form.progressive:
        return [spec.name for spec in specs]
    known = known_fields(contact)
    asked: list[str] = []
    counted = 0
    for spec in specs:
        if spec.target in ALWAYS_ASKED:
            asked.append(spec.name)
        elif spec.target not in known and counted < lead_form.max_fields_for_known:
            asked.append(spec.name)
            counted += 1
    return asked


class LeadSubmissionForm(forms.Form):
    """The fields every lead form has; :func:`form_class` adds the editor's fields."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    page = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    lead_form: LeadForm
    specs: list[FieldSpec]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_page(self) -> str:
        """The landing page as a path with its query (another host's URL is dropped)."""
        raw = clean_text(self.cleaned_data.get(PAGE), 2000)
        try:
            parts = urlsplit(raw)
        except ValueError:
            return ""
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            return ""
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        return path[:500]

    def clean_token(self) -> str:
        """A well-formed one-time token, or ``""`` (then the answers deduplicate)."""
        token = (self.cleaned_data.get(TOKEN) or "").strip()
        return token if _TOKEN_SHAPE.match(token) else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name in UTM_FIELDS:
            cleaned[name] = clean_text(cleaned.get(name), 100)
        return cleaned

    @property
    def honeypot_filled(self) -> bool:
        """True when the hidden field has a value (a bot)."""
        return bool((self.data.get(HONEYPOT) or "").strip())

    def answers(self) -> dict[str, str]:
        """The editor's fields that were answered, by name (cleaned, empty ones left out)."""
        result: dict[str, str] = {}
        for spec in self.specs:
            value = self.cleaned_data.get(spec.name)
            if value not in (None, ""):
                result[spec.name] = str(value)
        return result

    def utm(self) -> dict[str, str]:
        """The UTM tags sent, cleaned (plain text, at most 100 characters), non-empty only."""
        return {name: self.cleaned_data[name] for name in UTM_FIELDS if self.cleaned_data[name]}


def _clean_country(value: str) -> str:
    code = (value or "").strip().upper()
    if code and code not in COUNTRY_CODES:
        raise forms.ValidationError(
            _("Enter a two-letter country code such as CH, DE or AT."), code="country"
        )
    return code


class CountryField(forms.CharField):
    """A two-letter ISO 3166-1 country code, upper-cased."""

    def clean(self, value: Any) -> str:
        return _clean_country(super().clean(value))


class PhoneField(forms.CharField):
    """A phone number: digits and + ( ) - / . spaces, with at least five digits."""

    default_validators = [_PHONE_SHAPE]

    def clean(self, value: Any) -> str:
        value = super().clean(value)
        if value and sum(ch.isdigit() for ch in value) < 5:
            raise forms.ValidationError(_("Enter a phone number with at least five digits."))
        return value


def _field(spec: FieldSpec, required: bool) -> forms.Field:
    common: dict[str, Any] = {
        "label": spec.label,
        "required": required,
        "help_text": spec.help_text,
    }
    target = spec.target
    if target in ("first_name", "last_name"):
        auto = "given-name" if target == "first_name" else "family-name"
        return forms.CharField(
            max_length=100, widget=forms.TextInput(attrs={"autocomplete": auto}), **common
        )
    if target == "phone":
        return PhoneField(
            max_length=40, widget=forms.TextInput(attrs={"autocomplete": "tel"}), **common
        )
    if target == "job_title":
        return forms.CharField(
            max_length=120,
            widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
            **common,
        )
    if target == "company":
        return forms.CharField(
            max_length=200,
            widget=forms.TextInput(attrs={"autocomplete": "organization"}),
            **common,
        )
    if target == "company_size":
        return forms.ChoiceField(choices=[("", "—"), *Company.Size.choices], **common)
    if target == "industry":
        return forms.CharField(max_length=100, **common)
    if target == "country":
        return CountryField(
            max_length=2,
            widget=forms.TextInput(attrs={"autocomplete": "country", "size": "3"}),
            **common,
        )
    if target == "message":
        return forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    return forms.CharField(max_length=500, **common)


def form_class(lead_form: LeadForm, *, asked: list[str] | None = None) -> type[LeadSubmissionForm]:
    """The form class of ``lead_form``; a field outside ``asked`` (progressive profiling of a
    known contact) is not required."""
    specs = field_specs(lead_form)
    attrs: dict[str, Any] = {}
    for spec in specs:
        required = spec.required and (asked is None or spec.name in asked)
        attrs[spec.name] = _field(spec, required)
    attrs[CONSENT] = forms.BooleanField(
        label=lead_form.consent_text,
        required=lead_form.consent_required,
        error_messages={"required": _("Please agree to be contacted to send this form.")},
    )
    for name in UTM_FIELDS:
        attrs[name] = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    attrs["lead_form"] = lead_form
    attrs["specs"] = specs
    return type("LeadForm%sSubmission" % (lead_form.pk or ""), (LeadSubmissionForm,), attrs)


def build_form(
    lead_form: LeadForm, data: Any = None, *, asked: list[str] | None = None
) -> LeadSubmissionForm:
    """An (un)bound form of ``lead_form`` with ids unique on a page with several forms."""
    cls = form_class(lead_form, asked=asked)
    return cls(data=data, auto_id=f"leadform-{lead_form.pk}-%s")
