"""The customer journey: visitors, their touchpoints, and the campaigns that brought them.

Every visit, form, email click, search, cart and order is a :class:`Touchpoint` on one
timeline: first of an anonymous :class:`Visitor` (a first-party cookie, set only after
consent where the site asks for it), later of the :class:`~magpie.people.models.Contact`
the visitor turns out to be.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


class Channel(models.TextChoices):
    """Where a touchpoint came from, classified from UTM tags and the referrer."""

    DIRECT = "direct", _("Direct")
    ORGANIC_SEARCH = "organic_search", _("Organic search")
    PAID = "paid", _("Paid")
    SOCIAL = "social", _("Social")
    EMAIL = "email", _("Email")
    REFERRAL = "referral", _("Referral")
    INTERNAL = "internal", _("Internal")


class Campaign(models.Model):
    """A marketing campaign: its UTM name, and what it cost (for cost per lead)."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=200)
    utm_campaign = models.SlugField(
        _("UTM campaign"), max_length=100, help_text=_("The utm_campaign value of its links.")
    )
    utm_source = models.CharField(_("UTM source"), max_length=100, blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=100, blank=True)
    landing_url = models.URLField(_("landing page URL"), max_length=500, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(
        _("currency"), max_length=3, default=settings.MAGPIE_DEFAULT_CURRENCY
    )
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_on", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "utm_campaign"], name="journey_campaign_utm_per_site"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Visitor(models.Model):
    """A browser, known by the first-party cookie ``magpie_vid`` (its ``id``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    contact = models.ForeignKey(
        "magpie_people.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="visitors",
        verbose_name=_("contact"),
    )
    first_seen = models.DateTimeField(_("first seen"), auto_now_add=True)
    last_seen = models.DateTimeField(_("last seen"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("visitor")
        verbose_name_plural = _("visitors")

    def __str__(self) -> str:
        return str(self.id)


class Touchpoint(models.Model):
    """One interaction on the journey; append-only."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    # No single-column indexes on visitor and contact: the (…, time) indexes below lead with
    # them and serve every look-up by either, as well as the cascades.
    visitor = models.ForeignKey(
        Visitor,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        verbose_name=_("visitor"),
        db_index=False,
    )
    contact = models.ForeignKey(
        "magpie_people.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        verbose_name=_("contact"),
        db_index=False,
    )
    type = models.CharField(_("type"), max_length=40)
    occurred_at = models.DateTimeField(_("time"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="touchpoints",
        verbose_name=_("campaign"),
    )
    utm_source = models.CharField(max_length=100, blank=True)
    utm_medium = models.CharField(max_length=100, blank=True)
    utm_campaign = models.CharField(max_length=100, blank=True)
    utm_term = models.CharField(max_length=100, blank=True)
    utm_content = models.CharField(max_length=100, blank=True)
    referrer = models.CharField(_("referrer"), max_length=500, blank=True)
    path = models.CharField(_("page"), max_length=500, blank=True)
    object_type = models.CharField(
        _("object type"), max_length=100, blank=True, help_text=_("app_label.model")
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("touchpoint")
        verbose_name_plural = _("touchpoints")
        indexes = [
            # A timeline page, keyset-paged on (occurred_at, id) newest first: one index range.
            models.Index(
                fields=["contact", "-occurred_at", "-id"], name="journey_tp_contact_time_id"
            ),
            # The same with a type filter (?type=…), however long the contact's history.
            models.Index(
                fields=["contact", "type", "-occurred_at", "-id"], name="journey_tp_contact_type"
            ),
            models.Index(fields=["visitor", "-occurred_at"], name="journey_tp_visitor_time"),
            # Stitching (identify) moves a visitor's anonymous touchpoints: this range holds
            # only those, however long the visitor's identified history has grown.
            models.Index(
                fields=["visitor"],
                condition=Q(contact__isnull=True),
                name="journey_tp_visitor_anon",
            ),
            # Segments ("3 page views of /pricing in 30 days"): an index-only scan (PostgreSQL).
            models.Index(
                fields=["type", "occurred_at"],
                include=["site", "contact", "path"],
                name="journey_tp_type_time_cov",
            ),
            models.Index(fields=["campaign", "occurred_at"], name="journey_tp_campaign_time"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.occurred_at:%Y-%m-%d %H:%M}"


@register_setting(icon="view")
class JourneySettings(BaseSiteSetting):
    """Per site: whether tracking needs consent, and how long anonymous data is kept."""

    class ConsentMode(models.TextChoices):
        OPT_IN = "opt_in", _("Ask first (opt-in; required in Switzerland and the EU)")
        NOTICE = "notice", _("Track, show a notice (opt-out)")
        OFF = "off", _("Do not track visitors")

    consent_mode = models.CharField(
        _("visitor tracking"), max_length=10, choices=ConsentMode.choices, default="opt_in"
    )
    anonymous_retention_days = models.PositiveIntegerField(
        _("keep anonymous visitors for (days)"),
        default=395,
        help_text=_("Visitors never linked to a contact are deleted with their touchpoints."),
    )

    class Meta:
        verbose_name = _("customer journey")
