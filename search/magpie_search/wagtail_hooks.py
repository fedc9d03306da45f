"""Admin wiring of the search plugin: the Search menu (synonyms, search-term reports) and
the reports permission in the group editor."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db.models import QuerySet
from wagtail import hooks

from magpie_search.admin_views import REPORTS_PERMISSION, SearchViewSetGroup


@hooks.register("register_admin_viewset")
def register_search_viewsets() -> SearchViewSetGroup:
    """Search → Synonyms, Search terms, Searches without results."""
    return SearchViewSetGroup()


@hooks.register("register_permissions")
def register_reports_permission() -> QuerySet:
    """Offer "Can view search reports" in the group editor."""
    app_label, codename = REPORTS_PERMISSION.split(".")
    return Permission.objects.filter(content_type__app_label=app_label, codename=codename)
