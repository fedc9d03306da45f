"""What the leads plugin stores.

* Capture: :class:`LeadForm` (a snippet: its fields, consent wording, thank-you page and
  gated download), used by the landing page's lead form block and by :class:`LeadFormPage`;
  every accepted submission is one :class:`Submission`.
* Scoring: :class:`ScoringRule` (edited in the admin), the decaying engagement score of a
  contact in :class:`ScoreState`, and :class:`ScoreEvent`, the history that explains every
  point.
* Lifecycle and handover: :class:`LeadSettings` (thresholds, half-life, assignment) per
  site, :class:`StageChange` (every stage change), :class:`CountryAssignment`,
  :class:`FollowUpTask` (the owner's task at handover) and :class:`ProspectAlert`.

The contact's current ``stage``, ``engagement_score``, ``fit_score`` and ``owner`` live on
the host's :class:`magpie.people.models.Contact`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page

from magpie.people.models import Contact

# -- capture --------------------------------------------------------------------------------


class FieldTarget(models.TextChoices):
    """Where a form field's answer goes."""

    FIRST_NAME = "first_name", _("First name")
    LAST_NAME = "last_name", _("Last name")
    PHONE = "phone", _("Phone")
    JOB_TITLE = "job_title", _("Job title")
    COMPANY = "company", _("Company name")
    COMPANY_SIZE = "company_size", _("Company size")
    INDUSTRY = "industry", _("Industry")
    COUNTRY = "country", _("Country")
    MESSAGE = "message", _("Message (kept with the submission)")
    CUSTOM = "custom", _("Other (kept with the submission)")


class FormFieldBlock(blocks.StructBlock):
    """One field of a lead form besides the email (which every form asks)."""

    target = blocks.ChoiceBlock(choices=FieldTarget.choices, label=_("stores into"))
    label = blocks.CharBlock(max_length=100, label=_("label"))
    key = blocks.RegexBlock(
        regex=r"^[a-z][a-z0-9_]{0,39}$",
        required=False,
        label=_("key"),
        help_text=_("For “Other”: the name it is kept under (lower-case letters, digits, _)."),
        error_messages={"invalid": _("Use lower-case letters, digits and _.")},
    )
    required = blocks.BooleanBlock(required=False, default=False, label=_("required"))
    help_text = blocks.CharBlock(required=False, max_length=200, label=_("help text"))

    class Meta:
        icon = "form"
        label = _("field")


class LeadForm(models.Model):
    """A lead form: what it asks, the consent it records, and what the visitor gets."""

    name = models.CharField(_("name"), max_length=200)
    heading = models.CharField(_("heading"), max_length=200, blank=True)
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])
    fields = StreamField(
        [("field", FormFieldBlock())],
        blank=True,
        verbose_name=_("fields"),
        help_text=_("Every form asks for the email address; add the other fields here."),
    )
    progressive = models.BooleanField(
        _("progressive profiling"),
        default=True,
        help_text=_(
            "A known contact is not asked again for what is already known; "
            "the form asks for the next unknown fields instead."
        ),
    )
    max_fields_for_known = models.PositiveSmallIntegerField(
        _("fields asked of a known contact"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
    )
    consent_text = models.TextField(
        _("marketing consent wording"),
        help_text=_(
            "The text beside the required checkbox; stored word for word with the consent."
        ),
    )
    consent_required = models.BooleanField(
        _("consent required"),
        default=True,
        help_text=_("Without it the form cannot be sent (recommended for CH/EU)."),
    )
    submit_label = models.CharField(_("button label"), max_length=60, default=_("Send"))
    success_message = RichTextField(
        _("thank-you message"), blank=True, features=["bold", "italic", "link"]
    )
    thank_you_page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("thank-you page"),
        help_text=_("Where the visitor goes after sending; otherwise the message is shown."),
    )
    download = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("gated download"),
        help_text=_("Offered after sending, through a signed link that expires."),
    )
    stage = models.CharField(
        _("stage of a new contact"),
        max_length=20,
        choices=Contact.Stage.choices,
        default=Contact.Stage.LEAD,
    )
    tags = models.CharField(
        _("tags"),
        max_length=200,
        blank=True,
        help_text=_("Comma-separated; scoring rules can ask for them (e.g. whitepaper)."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    panels = [
        FieldPanel("name"),
        MultiFieldPanel(
            [FieldPanel("heading"), FieldPanel("intro"), FieldPanel("fields")],
            heading=_("Form"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("progressive"), FieldPanel("max_fields_for_known")]),
                FieldPanel("consent_text"),
                FieldPanel("consent_required"),
                FieldPanel("submit_label"),
            ],
            heading=_("Profiling and consent"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("success_message"),
                FieldPanel("thank_you_page"),
                FieldPanel("download"),
            ],
            heading=_("After sending"),
        ),
        MultiFieldPanel([FieldPanel("stage"), FieldPanel("tags")], heading=_("Lead")),
    ]

    class Meta:
        verbose_name = _("lead form")
        verbose_name_plural = _("lead forms")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def tag_list(self) -> list[str]:
        """The form's tags, lower-case, without blanks."""
        return [tag.strip().lower() for tag in self.tags.split(",") if tag.strip()]


class LeadFormPage(Page):
    """A page around one lead form (the landing page's form block does the same inline)."""

    intro = RichTextField(_("introduction"), blank=True)
    form = models.ForeignKey(
        LeadForm,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("lead form"),
    )
    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("form")]
    template = "magpie_leads/lead_form_page.html"

    class Meta:
        verbose_name = _("lead form page")


class Submission(models.Model):
    """One accepted submission of a lead form; a double submit finds the first one.

    ``dedupe_key`` is unique per form: the browser's one-time token when it sent one,
    otherwise a hash of the form, the email and the answers of that day.
    """

    wagtail_reference_index_ignore = True  # no page or snippet refers to it

    form = models.ForeignKey(
        LeadForm,
        null=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
        verbose_name=_("form"),
    )
    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        on_delete=models.CASCADE,
        related_name="lead_submissions",
        verbose_name=_("contact"),
    )
    dedupe_key = models.CharField(max_length=64)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    data = models.JSONField(_("answers"), default=dict, blank=True)
    page_path = models.CharField(_("page"), max_length=500, blank=True)
    utm = models.JSONField(_("UTM tags"), default=dict, blank=True)
    touchpoint = models.ForeignKey(
        "magpie_journey.Touchpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("touchpoint"),
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["form", "dedupe_key"], name="leads_submission_once")
        ]

    def __str__(self) -> str:
        return f"{self.form} · {self.created_at:%Y-%m-%d %H:%M}"


# -- scoring --------------------------------------------------------------------------------


class ScoringRule(models.Model):
    """A rule that gives points: for a touchpoint (engagement) or for who a contact is (fit).

    An engagement rule matches a touchpoint of ``touchpoint_type`` and every condition that
    is filled in; its points decay with the site's half-life and count at most
    ``cap_points`` per ``cap_period_days``. A fit rule compares one contact or company field
    (``field`` ``operator`` ``value``) and holds its points while it matches.
    """

    class Kind(models.TextChoices):
        ENGAGEMENT = "engagement", _("Engagement (what they do)")
        FIT = "fit", _("Fit (who they are)")

    class Operator(models.TextChoices):
        EQUALS = "eq", _("is")
        NOT_EQUALS = "ne", _("is not")
        IN = "in", _("is one of (comma-separated)")
        CONTAINS = "contains", _("contains")
        GTE = "gte", _("is at least")
        LTE = "lte", _("is at most")
        FILLED = "filled", _("is filled in")
        EMPTY = "empty", _("is empty")

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    active = models.BooleanField(_("active"), default=True)
    points = models.IntegerField(
        _("points"), validators=[MinValueValidator(-1000), MaxValueValidator(1000)]
    )
    # engagement
    touchpoint_type = models.CharField(_("touchpoint type"), max_length=40, blank=True)
    path_prefix = models.CharField(
        _("page starts with"), max_length=200, blank=True, help_text=_("e.g. /pricing")
    )
    campaign = models.ForeignKey(
        "magpie_journey.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("campaign"),
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    tag = models.CharField(
        _("form tag"), max_length=50, blank=True, help_text=_("A tag of the lead form sent.")
    )
    object_type = models.CharField(
        _("object type"), max_length=100, blank=True, help_text=_("e.g. magpie_catalog.product")
    )
    cap_points = models.PositiveIntegerField(_("at most (points)"), null=True, blank=True)
    cap_period_days = models.PositiveIntegerField(
        _("per (days)"), null=True, blank=True, validators=[MaxValueValidator(3650)]
    )
    # fit
    field = models.CharField(_("field"), max_length=40, blank=True)
    operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices, blank=True)
    value = models.CharField(_("value"), max_length=200, blank=True)
    sort_order = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["site", "kind", "sort_order", "pk"]
        indexes = [models.Index(fields=["site", "active", "kind"], name="leads_rule_active")]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        """The name of this rule in the score history and its cap."""
        return f"rule:{self.pk}"


class ScoreState(models.Model):
    """A contact's engagement score before rounding, as of ``as_of`` (for decay)."""

    wagtail_reference_index_ignore = True  # no page or snippet refers to it

    contact = models.OneToOneField(
        Contact, primary_key=True, on_delete=models.CASCADE, related_name="score_state"
    )
    engagement = models.FloatField(default=0.0)
    as_of = models.DateTimeField()

    class Meta:
        verbose_name = _("score state")


class ScoreEvent(models.Model):
    """Points a contact earned or lost, and why: one row per rule and touchpoint."""

    wagtail_reference_index_ignore = True  # no page or snippet refers to it

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="score_events", verbose_name=_("contact")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ScoringRule.Kind.choices)
    rule = models.ForeignKey(
        ScoringRule,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name=_("rule"),
    )
    rule_key = models.CharField(_("rule key"), max_length=100)
    rule_label = models.CharField(_("rule"), max_length=200)
    points = models.IntegerField(_("points"))
    touchpoint = models.ForeignKey(
        "magpie_journey.Touchpoint",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("touchpoint"),
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    occurred_at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("score event")
        verbose_name_plural = _("score history")
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["contact", "-occurred_at"], name="leads_score_contact"),
            models.Index(fields=["contact", "rule_key", "occurred_at"], name="leads_score_cap"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["rule_key", "touchpoint"],
                condition=models.Q(touchpoint__isnull=False),
                name="leads_score_once_per_touchpoint",
            )
        ]


# -- lifecycle and handover -----------------------------------------------------------------


@register_setting(icon="crosshairs")
class LeadSettings(BaseSiteSetting):
    """Per site: score decay, lifecycle thresholds, handover and prospect alerts."""

    class Assignment(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin among the sales group")
        COUNTRY = "country", _("By country (then round robin)")
        NONE = "none", _("Do not assign")

    half_life_days = models.PositiveIntegerField(
        _("engagement half-life (days)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Engagement points count half after this many days."),
    )
    mql_threshold = models.PositiveIntegerField(
        _("MQL at score"),
        default=60,
        help_text=_("A lead whose engagement plus fit score reaches this becomes an MQL."),
    )
    sales_group = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("sales group"),
        help_text=_("Owners are chosen among the active users of this group."),
    )
    assignment = models.CharField(
        _("assign MQLs"), max_length=12, choices=Assignment.choices, default="round_robin"
    )
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    follow_up_days = models.PositiveIntegerField(
        _("follow up within (days)"),
        default=2,
        validators=[MinValueValidator(0), MaxValueValidator(90)],
    )
    alert_path_prefixes = models.TextField(
        _("prospect alert pages"),
        blank=True,
        default="/pricing\n/preise\n",
        help_text=_("One path prefix per line; product pages always count."),
    )
    alert_throttle_hours = models.PositiveIntegerField(
        _("at most one alert per contact every (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 90)],
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("half_life_days"), FieldPanel("mql_threshold")],
            heading=_("Scoring and lifecycle"),
        ),
        MultiFieldPanel(
            [FieldPanel("assignment"), FieldPanel("sales_group"), FieldPanel("follow_up_days")],
            heading=_("Handover"),
        ),
        MultiFieldPanel(
            [FieldPanel("alert_path_prefixes"), FieldPanel("alert_throttle_hours")],
            heading=_("Prospect alerts"),
        ),
    ]

    class Meta:
        verbose_name = _("leads")

    @property
    def alert_prefixes(self) -> list[str]:
        """The prospect alert path prefixes, one per non-empty line."""
        return [line.strip() for line in self.alert_path_prefixes.splitlines() if line.strip()]


class CountryAssignment(models.Model):
    """Leads from ``country`` go to ``owner`` (assignment "by country")."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    country = models.CharField(_("country"), max_length=2, help_text="ISO 3166-1 alpha-2")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("owner"),
    )

    class Meta:
        verbose_name = _("country assignment")
        verbose_name_plural = _("country assignments")
        ordering = ["country"]
        constraints = [
            models.UniqueConstraint(fields=["site", "country"], name="leads_country_once")
        ]

    def __str__(self) -> str:
        return f"{self.country} → {self.owner}"


class StageChange(models.Model):
    """A lifecycle stage change of a contact: from, to, why and by whom."""

    wagtail_reference_index_ignore = True  # no page or snippet refers to it

    class Cause(models.TextChoices):
        FORM = "form", _("Form submission")
        SCORE = "score", _("Score threshold")
        HANDOVER = "handover", _("Handover")
        ORDER = "order", _("First order")
        STAFF = "staff", _("Changed by staff")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="stage_changes", verbose_name=_("contact")
    )
    from_stage = models.CharField(_("from"), max_length=20, choices=Contact.Stage.choices)
    to_stage = models.CharField(_("to"), max_length=20, choices=Contact.Stage.choices)
    cause = models.CharField(_("cause"), max_length=10, choices=Cause.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    changed_at = models.DateTimeField(_("changed"), auto_now_add=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-changed_at", "-pk"]
        indexes = [models.Index(fields=["contact", "-changed_at"], name="leads_stage_contact")]


class FollowUpTask(models.Model):
    """The owner's task for a handed-over lead: accept it (SQL) or return it with a reason."""

    wagtail_reference_index_ignore = True  # no page or snippet refers to it

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACCEPTED = "accepted", _("Accepted")
        RETURNED = "returned", _("Returned to nurturing")
        DONE = "done", _("Done")

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("contact")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="lead_follow_ups",
        verbose_name=_("owner"),
    )
    title = models.CharField(_("task"), max_length=200)
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    outcome_reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow-up task")
        verbose_name_plural = _("follow-up tasks")
        ordering = ["status", "due_on", "pk"]
        indexes = [models.Index(fields=["owner", "status", "due_on"], name="leads_task_owner")]

    def __str__(self) -> str:
        return self.title


class ProspectAlert(models.Model):
    """An alert sent to an owner about a known prospect's visit (also the throttle)."""

    wagtail_reference_index_ignore = True  # no page or snippet refers to it

    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="+", verbose_name=_("contact")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    path = models.CharField(_("page"), max_length=500)
    sent_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        verbose_name = _("prospect alert")
        verbose_name_plural = _("prospect alerts")
        ordering = ["-sent_at"]
        indexes = [models.Index(fields=["contact", "-sent_at"], name="leads_alert_contact")]
