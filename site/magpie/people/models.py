"""Companies and the customer groups they belong to, shared by catalog, checkout and leads."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

#: A VAT ID's shape: two-letter country prefix, then 2–13 letters, digits, dots or dashes
#: (e.g. DE123456789, ATU12345678, CHE-123.456.789).
VAT_ID_SHAPE = RegexValidator(
    r"^[A-Z]{2}[A-Z0-9.\- ]{2,16}$", _("Enter a VAT ID such as DE123456789 or CHE-123.456.789.")
)


class CustomerGroup(models.Model):
    """A set of companies that share prices and terms (e.g. resellers, OEM partners)."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("customer group")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    """A business customer or prospect."""

    class Size(models.TextChoices):
        MICRO = "1-9", "1–9"
        SMALL = "10-49", "10–49"
        MEDIUM = "50-249", "50–249"
        LARGE = "250+", "250+"

    name = models.CharField(_("name"), max_length=200)
    domains = models.JSONField(
        _("web and email domains"), default=list, blank=True, help_text=_('e.g. ["acme.ch"]')
    )
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    size = models.CharField(_("size"), max_length=10, choices=Size.choices, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text="ISO 3166-1")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True, validators=[VAT_ID_SHAPE])
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default=settings.MAGPIE_DEFAULT_CURRENCY,
        help_text=_("The currency this company is quoted and invoiced in."),
    )
    groups = models.ManyToManyField(
        CustomerGroup, blank=True, related_name="companies", verbose_name=_("customer groups")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
