"""Search admin: synonyms and the search-term reports.

Screens (registered in :mod:`magpie_search.wagtail_hooks`), under the Search menu:

* Synonyms: a :class:`~wagtail.admin.viewsets.model.ModelViewSet` of :class:`Synonym`
  (permissions: the model's add/change/delete, Wagtail's default policy). Saving or deleting a
  group reaches the engines through :mod:`magpie_search.signals`.
* Search terms and Searches without results: Wagtail reports (CSV/XLSX export) of the logged
  searches of the last 7, 30 or 90 days, for users with ``magpie_search.view_search_reports``.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.menu import MenuItem
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.ui.tables import Column, DateColumn, NumberColumn, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from magpie_search.analytics import top_queries
from magpie_search.models import SearchQuery, Synonym

#: The permission both reports require (superusers have it).
REPORTS_PERMISSION = "magpie_search.view_search_reports"
#: Hook name under which other modules add items to the Search menu.
SEARCH_MENU_HOOK = "register_magpie_search_menu_item"

#: The periods the reports offer, in days; the first report view shows the default.
PERIODS = [
    ("7", gettext_lazy("Last 7 days")),
    ("30", gettext_lazy("Last 30 days")),
    ("90", gettext_lazy("Last 90 days")),
]
DEFAULT_PERIOD = "30"
DENIED_TEMPLATE = "magpie_search/admin/denied.html"


# -- synonyms -----------------------------------------------------------------------------------


class SynonymViewSet(ModelViewSet):
    """Synonym groups: words a searcher uses for the same thing ("Motor, Antrieb, drive").

    The form validates through the model's ``clean()`` (at least two different words)."""

    model = Synonym
    icon = "link"
    menu_label = gettext_lazy("Synonyms")
    menu_name = "search-synonyms"
    url_prefix = "search/synonyms"
    name = "magpie_search_synonyms"
    copy_view_enabled = False
    form_fields = ["terms"]
    search_fields = ["terms"]
    list_display = [
        "terms",
        Column(
            "words",
            label=gettext_lazy("Words as searched"),
            accessor=lambda synonym: ", ".join(synonym.words()),
        ),
        DateColumn("updated_at", label=gettext_lazy("Updated"), sort_key="updated_at"),
    ]


# -- reports ------------------------------------------------------------------------------------


class PeriodFilterSet(WagtailFilterSet):
    """The reports' one filter: how far back to count (the view applies it)."""

    period = django_filters.ChoiceFilter(
        label=gettext_lazy("Period"),
        choices=PERIODS,
        empty_label=None,
        initial=DEFAULT_PERIOD,
        widget=forms.RadioSelect,
        method="keep",
    )

    class Meta:
        model = SearchQuery
        fields: list[str] = []

    def keep(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        """The period is applied before counting (:meth:`SearchTermsReportView.since`)."""
        return queryset


def search_page_url(request: HttpRequest, query: str) -> str | None:
    """The site's search page (in the admin's language) showing ``query``, or ``None``."""
    from magpie_search.boxes import search_page_for

    page = search_page_for(request)
    if page is None:
        return None
    base = page.get_url(request)
    return f"{base}?{urlencode({'q': query})}" if base else None


class SearchTermPaginator(WagtailPaginator):
    """Counts rows as search terms ("4 Suchbegriffe"), not as the logged searches."""

    verbose_name = gettext_lazy("search term")
    verbose_name_plural = gettext_lazy("search terms")


class SearchTermsReportView(ReportView):
    """The most searched queries of the period: how often, the most results a search of it
    found, when it was last searched."""

    page_title = gettext_lazy("Search terms")
    header_icon = "search"
    verbose_name = SearchTermPaginator.verbose_name
    verbose_name_plural = SearchTermPaginator.verbose_name_plural
    paginator_class = SearchTermPaginator
    zero_results = False
    filterset_class = PeriodFilterSet
    is_searchable = True
    search_fields = ["query"]
    default_ordering = "-searches"
    export_filename = "search-terms"
    list_export = ["query", "searches", "results", "last"]
    export_headings = {
        "query": gettext_lazy("Query"),
        "searches": gettext_lazy("Searches"),
        "results": gettext_lazy("Results (most)"),
        "last": gettext_lazy("Last searched"),
    }

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """403 without the reports permission (an admin page saying so, not a redirect)."""
        if not request.user.has_perm(REPORTS_PERMISSION):
            if request.headers.get("x-requested-with") == "XMLHttpRequest":
                raise PermissionDenied
            context = {
                "page_title": self.page_title,
                "header_title": self.page_title,
                "header_icon": self.header_icon,
                "permission_name": _("Can view search reports"),
            }
            return TemplateResponse(request, DENIED_TEMPLATE, context, status=403)
        return super().dispatch(request, *args, **kwargs)

    @cached_property
    def columns(self) -> list[Column]:
        columns = [
            TitleColumn(
                "query",
                label=gettext_lazy("Query"),
                sort_key="query",
                get_url=lambda row: search_page_url(self.request, row["query"]),
                link_attrs={"target": "_blank", "rel": "noopener"},
            ),
            NumberColumn("searches", label=gettext_lazy("Searches"), sort_key="searches"),
        ]
        if not self.zero_results:
            columns.append(
                NumberColumn("results", label=gettext_lazy("Results (most)"), sort_key="results")
            )
        columns.append(DateColumn("last", label=gettext_lazy("Last searched"), sort_key="last"))
        return columns

    def get_filterset_kwargs(self) -> dict[str, Any]:
        """The default period is selected when the URL names none."""
        kwargs = super().get_filterset_kwargs()
        data = kwargs["data"].copy()
        data.setdefault("period", DEFAULT_PERIOD)
        kwargs["data"] = data
        return kwargs

    @cached_property
    def period_days(self) -> int:
        """The chosen period in days (the default for a missing or unknown value)."""
        if self.filters is not None and self.filters.is_valid():
            return int(self.filters.form.cleaned_data.get("period") or DEFAULT_PERIOD)
        return int(DEFAULT_PERIOD)

    def since(self) -> datetime.datetime:
        return timezone.now() - datetime.timedelta(days=self.period_days)

    def get_base_queryset(self) -> QuerySet:
        return top_queries(self.since(), zero_results=self.zero_results)

    def order_queryset(self, queryset: QuerySet) -> QuerySet:
        """The chosen column's order, ties by query, so pages and exports are stable."""
        ordering = self.ordering or self.default_ordering
        keys = [ordering] if ordering.lstrip("-") == "query" else [ordering, "query"]
        return queryset.order_by(*keys)

    def get_filename(self) -> str:
        return f"{self.export_filename}-{timezone.localdate():%Y-%m-%d}"


class ZeroResultsReportView(SearchTermsReportView):
    """Queries that found nothing: what visitors look for and the site does not answer yet
    (missing products, other words for them, content to write)."""

    page_title = gettext_lazy("Searches without results")
    header_icon = "circle-xmark"
    zero_results = True
    export_filename = "searches-without-results"
    list_export = ["query", "searches", "last"]


class ReportMenuItem(MenuItem):
    """A report's menu item, shown to users who may view the search reports."""

    def is_shown(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REPORTS_PERMISSION)


class SearchReportViewSet(ViewSet):
    """One report: its listing, the listing's results fragment (filtering without a reload)
    and a menu item for users with the reports permission."""

    view_class: type[SearchTermsReportView] = SearchTermsReportView
    menu_item_class = ReportMenuItem

    def get_urlpatterns(self) -> list[Any]:
        urls = {
            "index_url_name": self.get_url_name("index"),
            "index_results_url_name": self.get_url_name("index_results"),
        }
        return [
            path("", self.construct_view(self.view_class, **urls), name="index"),
            path(
                "results/",
                self.construct_view(self.view_class, results_only=True, **urls),
                name="index_results",
            ),
        ]


class SearchTermsViewSet(SearchReportViewSet):
    view_class = SearchTermsReportView
    icon = "search"
    menu_label = gettext_lazy("Search terms")
    menu_name = "search-terms"
    name = "magpie_search_terms"
    url_prefix = "search/terms"


class ZeroResultsViewSet(SearchReportViewSet):
    view_class = ZeroResultsReportView
    icon = "circle-xmark"
    menu_label = gettext_lazy("Searches without results")
    menu_name = "search-zero-results"
    name = "magpie_search_zero_results"
    url_prefix = "search/no-results"


# -- menu group ---------------------------------------------------------------------------------


class SearchViewSetGroup(ViewSetGroup):
    """Search menu; other modules add items with the ``register_magpie_search_menu_item``
    hook."""

    menu_label = gettext_lazy("Search")
    menu_name = "search"
    menu_icon = "search"
    menu_order = 270
    submenu_hook = SEARCH_MENU_HOOK
    items = (SynonymViewSet, SearchTermsViewSet, ZeroResultsViewSet)


__all__ = [
    "REPORTS_PERMISSION",
    "SEARCH_MENU_HOOK",
    "SearchReportViewSet",
    "SearchTermsReportView",
    "SearchViewSetGroup",
    "SynonymViewSet",
    "ZeroResultsReportView",
]
