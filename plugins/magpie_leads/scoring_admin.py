"""Admin screens of scoring, lifecycle and handover.

* Leads → Scoring rules (a ModelViewSet: engagement and fit rules, validated), Leads → My
  leads (the user's open follow-up tasks with accept / return), Leads → Country
  assignments.
* A contact's score page (``magpie_leads_score:detail``): the score, the history that
  explains it (each event's worth after decay), stage changes and tasks, and "Change
  stage" for staff. It is linked from My leads and the owner's emails, and offered to the
  contact edit view through the ``register_magpie_contact_actions`` Wagtail hook
  (:func:`contact_actions`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.defaults import permission_denied
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet
from wagtail.admin.viewsets.model import ModelViewSet

from magpie.people.models import Contact
from magpie_leads import handover
from magpie_leads.lifecycle import change_stage
from magpie_leads.models import (
    CountryAssignment,
    FollowUpTask,
    ScoringRule,
    StageChange,
)
from magpie_leads.scoring import fit_field_choices, history

CONTACT_ACTIONS_HOOK = "register_magpie_contact_actions"
VIEW_CONTACT = "magpie_people.view_contact"
CHANGE_CONTACT = "magpie_people.change_contact"
VIEW_TASKS = "magpie_leads.view_followuptask"
SCORE = "magpie_leads_score"
MY_LEADS = "magpie_leads_my_leads"
TEMPLATES = "magpie_leads/scoring"


def _denied(request: HttpRequest) -> HttpResponse:
    return permission_denied(request, PermissionDenied())


# -- scoring rules --------------------------------------------------------------------------


def touchpoint_type_choices() -> list[tuple[str, str]]:
    """The touchpoint types the host and the loaded plugins know, for the rule form."""
    from magpie.journey.recording import known_types

    return [("", "—"), *((name, name) for name in sorted(known_types()))]


class ScoringRuleForm(WagtailAdminModelForm):
    """An engagement rule needs a touchpoint type; a fit rule a field and an operator; a
    cap needs both its points and its period."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from magpie.journey.models import Channel

        super().__init__(*args, **kwargs)
        fields = self.fields
        if "touchpoint_type" in fields:
            fields["touchpoint_type"] = forms.ChoiceField(
                label=ScoringRule._meta.get_field("touchpoint_type").verbose_name,
                choices=touchpoint_type_choices(),
                required=False,
            )
        if "channel" in fields:
            fields["channel"] = forms.ChoiceField(
                label=ScoringRule._meta.get_field("channel").verbose_name,
                choices=[("", _("any"))] + list(Channel.choices),
                required=False,
            )
        if "field" in fields:
            fields["field"] = forms.ChoiceField(
                label=ScoringRule._meta.get_field("field").verbose_name,
                choices=[("", "—"), *fit_field_choices()],
                required=False,
            )
        if "value" in fields:
            fields["value"].help_text = _(
                "For “is one of” and “contains”: comma-separated alternatives (any matches). "
                "For “at least”/“at most”: a number (a company size 50–249 counts as 50)."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        errors: dict[str, str] = {}
        if kind == ScoringRule.Kind.ENGAGEMENT:
            if not data.get("touchpoint_type"):
                errors["touchpoint_type"] = _("An engagement rule needs a touchpoint type.")
        elif kind == ScoringRule.Kind.FIT:
            if not data.get("field"):
                errors["field"] = _("A fit rule needs a field.")
            operator = data.get("operator")
            if not operator:
                errors["operator"] = _("A fit rule needs an operator.")
            elif operator not in ("filled", "empty") and not (data.get("value") or "").strip():
                errors["value"] = _("This operator needs a value.")
            elif operator in ("gte", "lte"):
                from magpie_leads.scoring import _number

                if _number(data.get("value")) is None:
                    errors["value"] = _("“At least” and “at most” need a number.")
        cap, days = data.get("cap_points"), data.get("cap_period_days")
        if (cap is None) != (days is None):
            errors["cap_period_days" if cap is not None else "cap_points"] = _(
                "Give both the points and the days of a cap, or neither."
            )
        if days == 0:
            errors["cap_period_days"] = _("The period is at least one day.")
        for name, message in errors.items():
            self.add_error(name, message)
        return data


class ScoringRuleViewSet(ModelViewSet):
    """Leads → Scoring rules."""

    model = ScoringRule
    icon = "crosshairs"
    menu_label = gettext_lazy("Scoring rules")
    menu_name = "scoring-rules"
    url_prefix = "leads/scoring-rules"
    name = "magpie_leads_rules"
    copy_view_enabled = True
    list_display = [
        "name",
        Column("kind", label=gettext_lazy("Kind"), accessor="get_kind_display"),
        "points",
        Column(
            "cap",
            label=gettext_lazy("Cap"),
            accessor=lambda rule: (
                f"{rule.cap_points} / {rule.cap_period_days} d"
                if rule.cap_points is not None
                else "–"
            ),
        ),
        "active",
        "site",
    ]
    list_filter = ["site", "kind", "active"]
    search_fields = ["name"]
    edit_handler = ObjectList(
        [
            FieldRowPanel([FieldPanel("name"), FieldPanel("site")]),
            FieldRowPanel([FieldPanel("kind"), FieldPanel("points"), FieldPanel("active")]),
            MultiFieldPanel(
                [
                    FieldPanel("touchpoint_type"),
                    FieldRowPanel([FieldPanel("path_prefix"), FieldPanel("object_type")]),
                    FieldRowPanel(
                        [FieldPanel("tag"), FieldPanel("channel"), FieldPanel("campaign")]
                    ),
                    FieldRowPanel([FieldPanel("cap_points"), FieldPanel("cap_period_days")]),
                ],
                heading=gettext_lazy("Engagement"),
                help_text=gettext_lazy(
                    "Points for a touchpoint of this type that meets every condition filled "
                    "in; they halve after the site's half-life."
                ),
            ),
            MultiFieldPanel(
                [FieldRowPanel([FieldPanel("field"), FieldPanel("operator"), FieldPanel("value")])],
                heading=gettext_lazy("Fit"),
                help_text=gettext_lazy("Points held while the contact or company matches."),
            ),
        ],
        base_form_class=ScoringRuleForm,
    )


# -- country assignments --------------------------------------------------------------------


class CountryAssignmentForm(WagtailAdminModelForm):
    def clean_country(self) -> str:
        value = (self.cleaned_data.get("country") or "").strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise ValidationError(_("Enter a two-letter country code (ISO 3166-1), e.g. CH."))
        return value


class CountryAssignmentViewSet(ModelViewSet):
    """Leads → Country assignments (assignment "by country")."""

    model = CountryAssignment
    icon = "site"
    menu_label = gettext_lazy("Country assignments")
    menu_name = "country-assignments"
    url_prefix = "leads/countries"
    name = "magpie_leads_countries"
    copy_view_enabled = False
    list_display = ["country", "owner", "site"]
    list_filter = ["site"]
    edit_handler = ObjectList(
        [FieldPanel("site"), FieldRowPanel([FieldPanel("country"), FieldPanel("owner")])],
        base_form_class=CountryAssignmentForm,
    )


# -- my leads -------------------------------------------------------------------------------


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why does the lead go back to nurturing?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class MyLeadsView(WagtailAdminTemplateMixin, TemplateView):
    """The user's open follow-up tasks (everyone's with ``?all=1`` for users who may view
    all tasks), due first, overdue ones marked."""

    template_name = f"{TEMPLATES}/my_leads.html"
    page_title = gettext_lazy("My leads")
    header_icon = "crosshairs"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        show_all = self.request.GET.get("all") == "1" and user.has_perm(VIEW_TASKS)
        tasks = FollowUpTask.objects.filter(status=FollowUpTask.Status.OPEN).select_related(
            "contact", "contact__company", "owner"
        )
        if not show_all:
            tasks = tasks.filter(owner=user)
        today = timezone.localdate()
        rows = list(tasks.order_by("due_on", "pk")[:500])
        for task in rows:
            task.overdue = task.due_on < today
            task.can_decide = handover.can_decide(user, task)
        context.update(
            tasks=rows,
            show_all=show_all,
            may_view_all=user.has_perm(VIEW_TASKS),
            today=today,
            score_url_name=f"{SCORE}:detail",
            accept_url_name=f"{MY_LEADS}:accept",
            return_url_name=f"{MY_LEADS}:return",
        )
        return context


def _task_for(request: HttpRequest, pk: int) -> FollowUpTask | HttpResponse:
    task = get_object_or_404(FollowUpTask.objects.select_related("contact"), pk=pk)
    if not handover.can_decide(request.user, task):
        return _denied(request)
    return task


@require_POST
def accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    """POST: the owner accepts the lead (SQL)."""
    task = _task_for(request, pk)
    if isinstance(task, HttpResponse):
        return task
    try:
        handover.accept(task, request.user)
    except PermissionDenied:
        return _denied(request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("%(contact)s is now a sales qualified lead.") % {"contact": task.contact}
        )
    return HttpResponseRedirect(reverse(f"{MY_LEADS}:index"))


class ReturnView(WagtailAdminTemplateMixin, TemplateView):
    """GET: the reason form; POST: return the lead to nurturing (a reason is required)."""

    template_name = f"{TEMPLATES}/return.html"
    page_title = gettext_lazy("Return to nurturing")
    header_icon = "undo"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        task = _task_for(request, kwargs["pk"])
        if isinstance(task, HttpResponse):
            return task
        self.task = task
        self.form = ReturnForm(request.POST if request.method == "POST" else None)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return str(self.task.contact)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(task=self.task, form=self.form, cancel_url=reverse(f"{MY_LEADS}:index"))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.form.is_valid():
            try:
                handover.return_lead(self.task, request.user, self.form.cleaned_data["reason"])
            except PermissionDenied:
                return _denied(request)
            except ValidationError as error:
                self.form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("%(contact)s went back to nurturing.") % {"contact": self.task.contact},
                )
                return HttpResponseRedirect(reverse(f"{MY_LEADS}:index"))
        return self.render_to_response(self.get_context_data(), status=400)


class MyLeadsViewSet(ViewSet):
    """Leads → My leads."""

    icon = "crosshairs"
    menu_label = gettext_lazy("My leads")
    menu_name = "my-leads"
    name = MY_LEADS
    url_prefix = "leads/my-leads"

    def get_urlpatterns(self) -> list[Any]:
        return [
            path("", MyLeadsView.as_view(), name="index"),
            path("<int:pk>/accept/", accept_view, name="accept"),
            path("<int:pk>/return/", ReturnView.as_view(), name="return"),
        ]


# -- the contact's score --------------------------------------------------------------------


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=gettext_lazy("New stage"), choices=Contact.Stage.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300)


class ScoreView(PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """Customers → Contacts → (contact) → Score: what the score is made of."""

    permission_required = VIEW_CONTACT
    raise_exception = True
    template_name = f"{TEMPLATES}/score.html"
    page_title = gettext_lazy("Score")
    header_icon = "crosshairs"

    def handle_no_permission(self) -> HttpResponse:
        return _denied(self.request)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not self.has_permission():
            return self.handle_no_permission()
        self.contact = get_object_or_404(
            Contact.objects.select_related("company", "owner"), pk=kwargs["pk"]
        )
        self.form = StageForm(
            request.POST if request.method == "POST" else None,
            initial={"stage": self.contact.stage},
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return str(self.contact)

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("magpie_contacts:index"), "label": Contact._meta.verbose_name_plural},
            {
                "url": reverse("magpie_contacts:edit", args=[self.contact.pk]),
                "label": str(self.contact),
            },
            {"url": "", "label": _("Score")},
        ]

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        events = history(self.contact, now)
        engagement = [e for e in events if e.kind == ScoringRule.Kind.ENGAGEMENT]
        fit = [e for e in events if e.kind == ScoringRule.Kind.FIT]
        context.update(
            contact=self.contact,
            engagement_events=engagement[:500],
            fit_events=fit[:500],
            engagement_total=sum(e.worth_now for e in engagement),
            fit_total=sum(e.points for e in fit),
            stage_changes=StageChange.objects.filter(contact=self.contact).select_related(
                "changed_by"
            )[:100],
            tasks=FollowUpTask.objects.filter(contact=self.contact).select_related("owner")[:50],
            form=self.form,
            may_change=self.request.user.has_perm(CHANGE_CONTACT),
            edit_url=reverse("magpie_contacts:edit", args=[self.contact.pk]),
            timeline_url=reverse("magpie_contacts:timeline", args=[self.contact.pk]),
            now=now,
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Change the stage (staff, any direction, with a reason)."""
        if not request.user.has_perm(CHANGE_CONTACT):
            return _denied(request)
        if not self.form.is_valid():
            return self.render_to_response(self.get_context_data(), status=400)
        moved = change_stage(
            self.contact,
            self.form.cleaned_data["stage"],
            cause=StageChange.Cause.STAFF,
            reason=self.form.cleaned_data["reason"],
            user=request.user,
            forward_only=False,
        )
        if moved:
            messages.success(
                request,
                _("%(contact)s is now: %(stage)s")
                % {"contact": self.contact, "stage": self.contact.get_stage_display()},
            )
        else:
            messages.warning(request, _("The stage did not change."))
        return HttpResponseRedirect(reverse(f"{SCORE}:detail", args=[self.contact.pk]))


class ScoreViewSet(ViewSet):
    """The contact's score page (no menu item; linked from the contact)."""

    name = SCORE
    url_prefix = "leads/score"

    def get_urlpatterns(self) -> list[Any]:
        return [path("<int:pk>/", ScoreView.as_view(), name="detail")]


# -- wiring ---------------------------------------------------------------------------------


def scoring_viewsets() -> list[Any]:
    """The Leads menu's scoring items: scoring rules, my leads, country assignments."""
    return [ScoringRuleViewSet, MyLeadsViewSet, CountryAssignmentViewSet]


def contact_actions(user: Any, contact: Contact, item: type) -> list[Any]:
    """The contact's "Score" action (``item``: Button or MenuItem) for users who may see
    contacts; answers the ``register_magpie_contact_actions`` hook."""
    if not user.has_perm(VIEW_CONTACT):
        return []
    return [
        item(
            _("Score"),
            url=reverse(f"{SCORE}:detail", args=[contact.pk]),
            icon_name="crosshairs",
            priority=35,
        )
    ]


_registered = False


def register_scoring_hooks() -> None:
    """Called once when ``wagtail_hooks`` is imported: the score page's URLs and the
    contact action."""
    global _registered
    if _registered:
        return
    _registered = True
    hooks.register("register_admin_viewset", lambda: ScoreViewSet())
    hooks.register(CONTACT_ACTIONS_HOOK, contact_actions)
