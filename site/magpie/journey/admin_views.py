"""Admin screens of the journey: Marketing → Campaigns, with the UTM link builder and the
cost per lead."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.db.models import Count, Q
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy
from wagtail.admin.panels import FieldPanel, FieldRowPanel, Panel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from magpie.journey.models import Campaign

MARKETING_MENU_HOOK = "register_magpie_marketing_menu_item"


def tagged_url(campaign: Campaign) -> str:
    """The campaign's landing URL with its ``utm_source``, ``utm_medium`` and
    ``utm_campaign`` (other query parameters kept, older UTM values replaced)."""
    if not campaign.landing_url:
        return ""
    parts = urlsplit(campaign.landing_url)
    tags = {
        "utm_source": campaign.utm_source,
        "utm_medium": campaign.utm_medium,
        "utm_campaign": campaign.utm_campaign,
    }
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in tags]
    query += [(k, v) for k, v in tags.items() if v]
    return urlunsplit(parts._replace(query=urlencode(query)))


def leads(campaign: Campaign) -> int:
    """Distinct contacts with a form submission attributed to the campaign."""
    annotated = getattr(campaign, "lead_count", None)
    if annotated is not None:
        return annotated
    return (
        campaign.touchpoints.filter(type="form_submission", contact__isnull=False)
        .values("contact")
        .distinct()
        .count()
    )


def cost_per_lead(campaign: Campaign) -> Decimal | None:
    """``cost / leads``, or ``None`` without leads."""
    count = leads(campaign)
    if not count:
        return None
    return (Decimal(campaign.cost) / count).quantize(Decimal("0.01"))


def _cost_per_lead_text(campaign: Campaign) -> str:
    value = cost_per_lead(campaign)
    if value is None:
        return "–"
    return f"{campaign.currency} {number_format(value, 2)}"


class TaggedUrlPanel(Panel):
    """Shows the campaign's tagged landing URL (the UTM link builder)."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "magpie_journey/tagged_url_panel.html"

        def get_context_data(self, parent_context: Any = None) -> dict[str, Any]:
            context = super().get_context_data(parent_context)
            context["tagged_url"] = tagged_url(self.instance) if self.instance else ""
            return context


class CampaignIndexView(IndexView):
    def get_base_queryset(self) -> Any:
        return (
            super()
            .get_base_queryset()
            .annotate(
                lead_count=Count(
                    "touchpoints__contact",
                    filter=Q(touchpoints__type="form_submission"),
                    distinct=True,
                )
            )
        )


class CampaignViewSet(ModelViewSet):
    """Campaigns: UTM name, landing page, cost; leads and cost per lead in the list."""

    model = Campaign
    icon = "mail"
    menu_label = gettext_lazy("Campaigns")
    url_prefix = "marketing/campaigns"
    name = "magpie_campaigns"
    copy_view_enabled = False
    inspect_view_enabled = False
    index_view_class = CampaignIndexView
    list_display = [
        "name",
        "utm_campaign",
        "starts_on",
        "cost",
        Column("lead_count", label=gettext_lazy("Leads"), accessor=leads),
        Column("cost_per_lead", label=gettext_lazy("Cost per lead"), accessor=_cost_per_lead_text),
    ]
    list_filter = ["site"]
    search_fields = ["name", "utm_campaign"]
    panels = [
        FieldPanel("site"),
        FieldPanel("name"),
        FieldRowPanel(
            [FieldPanel("utm_campaign"), FieldPanel("utm_source"), FieldPanel("utm_medium")]
        ),
        FieldPanel("landing_url"),
        TaggedUrlPanel(heading=gettext_lazy("Tagged link")),
        FieldRowPanel([FieldPanel("cost"), FieldPanel("currency")]),
        FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
    ]


class MarketingViewSetGroup(ViewSetGroup):
    """The Marketing menu: campaigns, plus plugins' items."""

    menu_label = gettext_lazy("Marketing")
    menu_icon = "mail"
    menu_order = 255
    submenu_hook = MARKETING_MENU_HOOK
    items = (CampaignViewSet,)
