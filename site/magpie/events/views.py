"""Admin views of the outbox: deliveries with their errors, and retrying them."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button, HeaderButton

from magpie.events.models import Delivery
from magpie.events.outbox import retry

RETRY_PERMISSION = "magpie_events.change_delivery"


class DeliveryIndexViewMixin:
    """Adds a Retry button to each undelivered row and a "Retry all failed" header button."""

    def get_list_buttons(self, instance: Delivery) -> list[Any]:
        buttons = list(super().get_list_buttons(instance))
        if instance.status != Delivery.Status.DELIVERED and self.request.user.has_perm(
            RETRY_PERMISSION
        ):
            buttons.insert(
                0,
                Button(
                    _("Retry"),
                    url=reverse("magpie_events_retry", args=[instance.pk]),
                    icon_name="rotate",
                    priority=5,
                ),
            )
        return buttons

    @property
    def header_buttons(self) -> list[Any]:
        buttons = list(super().header_buttons)
        if self.request.user.has_perm(RETRY_PERMISSION):
            buttons.append(
                HeaderButton(
                    _("Retry all failed"),
                    url=reverse("magpie_events_retry_failed"),
                    icon_name="rotate",
                )
            )
        return buttons


class RetryView(PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm (GET) and retry (POST) one delivery, or every failed one."""

    permission_required = RETRY_PERMISSION
    raise_exception = True
    template_name = "magpie/events/confirm_retry.html"
    page_title = gettext_lazy("Retry event delivery")
    header_icon = "rotate"

    def get_queryset(self):
        if "pk" in self.kwargs:
            delivery = get_object_or_404(Delivery, pk=self.kwargs["pk"])
            return Delivery.objects.filter(pk=delivery.pk)
        return Delivery.objects.filter(status=Delivery.Status.FAILED)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        deliveries = self.get_queryset().select_related("event")
        context.update(deliveries=deliveries[:50], count=deliveries.count())
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with transaction.atomic():
            count = retry(self.get_queryset())
        messages.success(request, _("%(count)d delivery(ies) queued again.") % {"count": count})
        return HttpResponseRedirect(reverse("magpie_event_deliveries:index"))
