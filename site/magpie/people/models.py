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


class Contact(models.Model):
    """A person the business knows by email, on one site: a lead, a buyer, a subscriber.

    The email is stored lower-case and unique per site. Scores and the lifecycle stage are
    written by the leads plugin; the journey links touchpoints to the contact.
    """

    # Saved with every form and score change; no page or snippet refers to a contact.
    wagtail_reference_index_ignore = True

    class Stage(models.TextChoices):
        SUBSCRIBER = "subscriber", _("Subscriber")
        LEAD = "lead", _("Lead")
        MQL = "mql", _("Marketing qualified lead")
        SQL = "sql", _("Sales qualified lead")
        OPPORTUNITY = "opportunity", _("Opportunity")
        CUSTOMER = "customer", _("Customer")

    site = models.ForeignKey(
        "wagtailcore.Site",
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("site"),
    )
    email = models.EmailField(_("email"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    locale = models.CharField(_("language"), max_length=10, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True, help_text="ISO 3166-1")
    company = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
        verbose_name=_("company"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_contacts",
        verbose_name=_("owner"),
    )
    stage = models.CharField(
        _("lifecycle stage"), max_length=20, choices=Stage.choices, default=Stage.SUBSCRIBER
    )
    engagement_score = models.IntegerField(_("engagement score"), default=0)
    fit_score = models.IntegerField(_("fit score"), default=0)
    source = models.CharField(
        _("source"), max_length=30, blank=True, help_text=_("The channel of the first touchpoint.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["site", "email"], name="people_contact_email_per_site")
        ]
        indexes = [
            models.Index(fields=["site", "stage"], name="people_contact_stage"),
            models.Index(fields=["company"], name="people_contact_company"),
        ]

    def __str__(self) -> str:
        name = self.full_name
        return f"{name} <{self.email}>" if name else self.email

    def save(self, *args: object, **kwargs: object) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        """First and last name, or ``""``."""
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def display_name(self) -> str:
        """The full name, or the email when no name is known."""
        return self.full_name or self.email


class ConsentRecord(models.Model):
    """A consent a contact gave or withdrew: when, where, and the exact wording shown."""

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing emails")
        TRACKING = "tracking", _("Tracking (visitor cookie)")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="consents", verbose_name=_("contact")
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("granted"))
    wording = models.TextField(_("wording agreed to"))
    source = models.CharField(
        _("source"), max_length=200, help_text=_("Where it was given, e.g. the form's page URL.")
    )
    recorded_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-pk"]
        indexes = [models.Index(fields=["contact", "purpose", "-recorded_at"])]

    def __str__(self) -> str:
        verb = _("granted") if self.granted else _("withdrew")
        return f"{self.contact}: {self.purpose} {verb}"


class ErasureLog(models.Model):
    """The audit trail of an erasure: who erased whom (as a salted hash), when, and how much.

    The email is kept only as ``sha256(salt + email)`` so that a later request from the same
    address can be matched ("was I erased?") without storing the address itself.
    """

    email_hash = models.CharField(_("email hash"), max_length=64, db_index=True)
    site = models.ForeignKey(
        "wagtailcore.Site",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("site"),
    )
    erased_at = models.DateTimeField(_("erased"), auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("erased by"),
    )
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("erasure log entry")
        verbose_name_plural = _("erasure log")
        ordering = ["-erased_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email_hash[:12]}… {self.erased_at:%Y-%m-%d %H:%M}"


class Segment(models.Model):
    """A saved, dynamic set of contacts of one site: rules evaluated whenever it is used.

    ``rules`` is the JSON of :mod:`magpie.people.segments` (``{"match": "all", "conditions":
    [...]}``); the members are never stored, so a segment is always current.
    """

    site = models.ForeignKey(
        "wagtailcore.Site",
        on_delete=models.CASCADE,
        related_name="contact_segments",
        verbose_name=_("site"),
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    rules = models.JSONField(_("rules"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Validate the rules (a bad rule names the condition at fault)."""
        from django.core.exceptions import ValidationError

        from magpie.people.segments import validate_rules

        try:
            self.rules = validate_rules(self.rules)
        except ValidationError as error:
            raise ValidationError({"rules": error.messages}) from error

    def contacts(self) -> models.QuerySet:
        """The contacts matching the rules now (a plain queryset, no ordering)."""
        from magpie.people.segments import contacts_matching

        return contacts_matching(self.site_id, self.rules)

    def count(self) -> int:
        """How many contacts match the rules now (one ``COUNT(*)``)."""
        from magpie.people.segments import count_matching

        return count_matching(self.site_id, self.rules)
