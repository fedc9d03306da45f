"""Admin wiring: Settings → Event deliveries (failed deliveries with a retry action)."""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.viewsets.model import ModelViewSet

from magpie.events.models import Delivery
from magpie.events.views import DeliveryIndexViewMixin, RetryView


class DeliveryIndexView(DeliveryIndexViewMixin, IndexView):
    pass


class DeliveryViewSet(ModelViewSet):
    """Read-only listing of event deliveries; edits happen only through Retry."""

    model = Delivery
    name = "magpie_event_deliveries"
    url_prefix = "events/deliveries"
    icon = "rotate"
    menu_label = _("Event deliveries")
    add_to_settings_menu = True
    index_view_class = DeliveryIndexView
    inspect_view_enabled = True
    copy_view_enabled = False
    inspect_view_class = InspectView
    list_display = ["event", "plugin", "status", "attempts", "next_attempt_at", "updated_at"]
    list_filter = ["status", "plugin"]
    search_fields = ["plugin", "last_error"]
    inspect_view_fields = [
        "event",
        "plugin",
        "status",
        "attempts",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "updated_at",
    ]
    form_fields = ["status"]

    def get_common_view_kwargs(self, **kwargs):
        names = ["history", "usage", "add", "edit", "delete"]
        read_only = dict.fromkeys(f"{name}_url_name" for name in names)
        return super().get_common_view_kwargs(**{**read_only, **kwargs})

    def get_urlpatterns(self):
        keep = {"index", "index_results", "inspect"}
        return [p for p in super().get_urlpatterns() if p.name in keep]

    def get_queryset(self, request):
        return Delivery.objects.select_related("event")


deliveries_viewset = DeliveryViewSet()


@hooks.register("register_admin_viewset")
def register_delivery_viewset():
    return deliveries_viewset


@hooks.register("register_admin_urls")
def register_retry_urls():
    return [
        path("events/retry/<int:pk>/", RetryView.as_view(), name="magpie_events_retry"),
        path("events/retry-failed/", RetryView.as_view(), name="magpie_events_retry_failed"),
    ]
