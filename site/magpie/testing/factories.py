"""Factories for tests: a Wagtail site with a Magpie home page, in a few lines.

Shipped in the package (as Oscar ships its test factories) so plugin authors build the same
fixtures as the host's own tests::

    from magpie.testing.factories import create_site

    def test_my_slot(client, db):
        site = create_site()
        assert "my fragment" in client.get(site.root_page.url).text

Each function needs a configured Django with a test database (pytest-django's ``db``).
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify


def _unique_slug(parent: Any, base: str) -> str:
    siblings = set(parent.get_children().values_list("slug", flat=True))
    slug, n = base, 2
    while slug in siblings:
        slug, n = f"{base}-{n}", n + 1
    return slug


def create_home_page(
    title: str = "Home", *, parent: Any | None = None, slug: str = "", **fields: Any
) -> Any:
    """Create and return a live :class:`~magpie.content.models.HomePage`.

    It is added below ``parent`` (default: the tree's root node) with a slug that is unique
    among its siblings; ``fields`` are further model fields (``intro``, ``seo_title``, …).
    """
    from wagtail.models import Page

    from magpie.content.models import HomePage

    parent = parent or Page.get_first_root_node()
    slug = slug or _unique_slug(parent, slugify(title) or "home")
    page = HomePage(title=title, slug=slug, **fields)
    parent.add_child(instance=page)
    return page


def create_site(
    hostname: str = "localhost",
    port: int = 80,
    *,
    root_page: Any | None = None,
    site_name: str = "Magpie test site",
    is_default_site: bool = True,
    **home_fields: Any,
) -> Any:
    """Return a Wagtail ``Site`` on ``hostname:port`` whose root is a Magpie home page.

    Without ``root_page`` a new home page is created (``home_fields`` are passed to
    :func:`create_home_page`). An existing site on the same hostname and port (such as the one
    Wagtail's migrations create) is pointed at the new root instead of duplicated. With
    ``is_default_site`` (the default) every other site stops being the default, so requests
    for unknown hosts, including Django's test client (``testserver``), are served by it.
    """
    from wagtail.models import Site

    if root_page is None:
        root_page = create_home_page(**home_fields)
    if is_default_site:
        Site.objects.filter(is_default_site=True).exclude(hostname=hostname, port=port).update(
            is_default_site=False
        )
    site, _created = Site.objects.update_or_create(
        hostname=hostname,
        port=port,
        defaults={
            "root_page": root_page,
            "site_name": site_name,
            "is_default_site": is_default_site,
        },
    )
    Site.clear_site_root_paths_cache()
    return site
