"""Staff screens of company accounts (Shop menu): registrations with approve/reject, company
users, and invitations sent by staff.

Every view checks a model permission of its own: deciding a registration needs
``magpie_checkout.change_companyregistration``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.model import ModelViewSet

from magpie_checkout import accounts
from magpie_checkout.models import (
    REGISTRATION_FIELDS,
    CompanyMember,
    CompanyRegistration,
    Invitation,
)

REGISTRATIONS = "magpie_checkout_registrations"
DECIDE_PERMISSION = "magpie_checkout.change_companyregistration"


class RejectForm(forms.Form):
    """Why a registration is rejected (sent to the registrant)."""

    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, widget=forms.Textarea)


class DecideView(WagtailAdminTemplateMixin, TemplateView):
    """A registration with its data; POST ``approve`` or ``reject`` (with a reason)."""

    template_name = "magpie_checkout/admin/decide.html"
    page_title = gettext_lazy("Company registration")
    header_icon = "group"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.has_perm(DECIDE_PERMISSION):
            raise PermissionDenied
        self.registration = get_object_or_404(CompanyRegistration, pk=kwargs["pk"])
        self.form = RejectForm(request.POST if "reject" in request.POST else None)
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return self.registration.company_name

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            registration=self.registration,
            form=self.form,
            pending=self.registration.status == CompanyRegistration.Status.PENDING,
            index_url=reverse(f"{REGISTRATIONS}:index"),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if "approve" in request.POST:
                company = accounts.approve_registration(self.registration, request.user)
                messages.success(
                    request,
                    _("%(company)s is approved; its admin got a link to set a password.")
                    % {"company": company.name},
                )
                return HttpResponseRedirect(reverse(f"{REGISTRATIONS}:index"))
            if "reject" in request.POST and self.form.is_valid():
                accounts.reject_registration(
                    self.registration, request.user, self.form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    _("%(company)s was rejected.") % {"company": self.registration.company_name},
                )
                return HttpResponseRedirect(reverse(f"{REGISTRATIONS}:index"))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return self.render_to_response(self.get_context_data(), status=400)


def _decide_link(registration: CompanyRegistration) -> str:
    label = _("Approve or reject") if registration.status == "pending" else _("Details")
    return format_html(
        '<a href="{}">{}</a>', reverse(f"{REGISTRATIONS}:decide", args=[registration.pk]), label
    )


class RegistrationViewSet(ModelViewSet):
    """Shop → Registrations: companies asking for an account."""

    model = CompanyRegistration
    icon = "form"
    menu_label = gettext_lazy("Registrations")
    menu_name = "company-registrations"
    url_prefix = "shop/registrations"
    name = REGISTRATIONS
    add_to_admin_menu = False
    list_display = [
        "company_name",
        "email",
        "country",
        Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
        "created_at",
        Column("decide", label=gettext_lazy("Decision"), accessor=_decide_link),
    ]
    list_filter = ["status", "country"]
    search_fields = ["company_name", "email", "vat_id"]
    form_fields = REGISTRATION_FIELDS

    def get_urlpatterns(self) -> list[Any]:
        return [
            *super().get_urlpatterns(),
            path("<int:pk>/decide/", DecideView.as_view(), name="decide"),
        ]


class CompanyMemberViewSet(ModelViewSet):
    """Shop → Company users: users, roles and budgets of every company."""

    model = CompanyMember
    icon = "user"
    menu_label = gettext_lazy("Company users")
    menu_name = "company-users"
    url_prefix = "shop/company-users"
    name = "magpie_checkout_members"
    add_to_admin_menu = False
    list_display = [
        "user",
        "company",
        Column("role", label=gettext_lazy("Role"), accessor="get_role_display"),
        "order_limit",
        "monthly_budget",
        "active",
    ]
    list_filter = ["role", "active", "company"]
    search_fields = ["user__email", "user__last_name", "company__name"]
    form_fields = ["company", "user", "role", "order_limit", "monthly_budget", "active"]


class InvitationForm(WagtailAdminModelForm):
    """Staff invite a user for a company: the invitation email goes out on save."""

    class Meta:
        model = Invitation
        fields = ["company", "email", "role"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if not self.instance.pk and (
            CompanyMember.objects.filter(user__email__iexact=email).exists()
            or CompanyMember.objects.filter(user__username__iexact=email).exists()
        ):
            raise ValidationError(_("%(email)s is a company user already.") % {"email": email})
        return email

    def save(self, commit: bool = True) -> Invitation:
        if self.instance.pk:
            return super().save(commit=commit)
        data = self.cleaned_data
        self.instance = accounts.invite(
            data["company"], data["email"], data["role"], getattr(self, "for_user", None)
        )
        return self.instance


class InvitationViewSet(ModelViewSet):
    """Shop → Invitations: invite users for a company (a 14-day link by email)."""

    model = Invitation
    icon = "mail"
    menu_label = gettext_lazy("Invitations")
    menu_name = "company-invitations"
    url_prefix = "shop/invitations"
    name = "magpie_checkout_invitations"
    add_to_admin_menu = False
    list_display = ["email", "company", "role", "expires_at", "accepted_at", "invited_by"]
    list_filter = ["company", "role"]
    search_fields = ["email", "company__name"]
    form_fields = ["company", "email", "role"]

    def get_form_class(self, for_update: bool = False) -> Any:
        return InvitationForm


def account_viewsets() -> list[Any]:
    """The viewsets of the Shop menu's company-account screens."""
    return [RegistrationViewSet(), CompanyMemberViewSet(), InvitationViewSet()]
