"""Admin wiring of the people app: the Customers menu (contacts, companies, groups)."""

from __future__ import annotations

from wagtail import hooks

from magpie.people.admin_views import CustomersViewSetGroup


@hooks.register("register_admin_viewset")
def register_customers_viewsets() -> CustomersViewSetGroup:
    """Customers → Contacts, Companies, Customer groups."""
    return CustomersViewSetGroup()
