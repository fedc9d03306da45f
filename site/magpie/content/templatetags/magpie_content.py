"""Template helpers the themes use for navigation, languages, SEO links and feeds.

Load with ``{% load magpie_content %}``. Every helper works without a ``page`` in the
context (error pages, plugin views) and in Wagtail's preview, where the page may not be
saved yet.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils import translation
from wagtail.models import Locale, Page, Site

register = template.Library()


def _request(context: template.Context) -> Any | None:
    return context.get("request")


def _site(context: template.Context) -> Site | None:
    request = _request(context)
    if request is None:
        return Site.objects.filter(is_default_site=True).select_related("root_page").first()
    return Site.find_for_request(request)


def _locale(context: template.Context) -> Locale | None:
    page = context.get("page")
    if isinstance(page, Page) and page.locale_id:
        return page.locale
    try:
        return Locale.get_active()
    except Locale.DoesNotExist:
        return None


@register.simple_tag(takes_context=True)
def page_language(context: template.Context) -> str:
    """The language code of the page being rendered, else the active language."""
    locale = _locale(context)
    if locale is not None:
        return locale.language_code
    return translation.get_language() or settings.LANGUAGE_CODE


@register.simple_tag(takes_context=True)
def site_home(context: template.Context) -> Page | None:
    """The site's home page in the language of the page being rendered."""
    site = _site(context)
    if site is None:
        return None
    root = site.root_page
    locale = _locale(context)
    if locale is not None and root.locale_id != locale.pk:
        return root.get_translation_or_none(locale) or root
    return root


@register.simple_tag(takes_context=True)
def menu_pages(context: template.Context) -> list[Page]:
    """Live, public children of the home page marked "show in menus", in tree order."""
    home = site_home(context)
    if home is None:
        return []
    return list(home.get_children().live().public().in_menu().specific())


@register.simple_tag(takes_context=True)
def language_links(context: template.Context) -> list[dict[str, Any]]:
    """One entry per content language, for the language switcher and hreflang links.

    Each entry has ``code``, ``name``, ``url`` (absolute), ``current`` (the page's own
    language) and ``exact`` (``True`` when ``url`` is a translation of this page rather
    than the other language's home page, which is where a missing translation leads).
    """
    request = _request(context)
    page = context.get("page")
    current = page_language(context)
    home = site_home(context)
    locales = {locale.language_code: locale for locale in Locale.objects.all()}
    links: list[dict[str, Any]] = []
    for code, name in settings.WAGTAIL_CONTENT_LANGUAGES:
        locale = locales.get(code)
        if locale is None:
            continue
        target, exact = None, False
        if isinstance(page, Page) and page.pk:
            if page.locale_id == locale.pk:
                target, exact = page, True
            else:
                translated = page.get_translation_or_none(locale)
                if translated is not None and translated.live:
                    target, exact = translated, True
        if target is None and home is not None:
            target = home.get_translation_or_none(locale)
            if target is not None and not target.live:
                target = None
        url = target.get_full_url(request) if target is not None else None
        if url:
            links.append(
                {"code": code, "name": name, "url": url, "current": code == current, "exact": exact}
            )
    return links


@register.simple_tag(takes_context=True)
def canonical_url(context: template.Context) -> str:
    """The page's absolute URL without query string (empty when it has none yet)."""
    page = context.get("page")
    if not isinstance(page, Page) or not page.pk:
        return ""
    return page.get_full_url(_request(context)) or ""


@register.simple_tag(takes_context=True)
def feed_index(context: template.Context) -> Page | None:
    """The article index whose feeds belong on this page.

    The index itself, an article's index, or on a home page its first live article index.
    """
    from magpie.content.models import ArticleIndexPage, ArticlePage, HomePage

    page = context.get("page")
    if isinstance(page, ArticleIndexPage):
        return page if page.pk else None
    if isinstance(page, ArticlePage) and page.pk:
        parent = page.get_parent()
        return parent.specific if parent is not None else None
    if isinstance(page, HomePage) and page.pk:
        return ArticleIndexPage.objects.child_of(page).live().first()
    return None


@register.simple_tag
def latest_articles(page: Page, count: int = 3) -> list[Page]:
    """The newest live articles in the page's subtree (for teasers on the home page)."""
    from magpie.content.models import ArticlePage

    if not isinstance(page, Page) or not page.pk:
        return []
    return list(
        ArticlePage.objects.descendant_of(page)
        .live()
        .public()
        .filter(locale_id=page.locale_id)
        .order_by("-date", "-pk")[:count]
    )


@register.filter
def seo_title(page: Any) -> str:
    """The page's SEO title, else its title."""
    return getattr(page, "seo_title", "") or getattr(page, "title", "") or ""


@register.filter
def absolute_url(url: str, request: Any = None) -> str:
    """Make a root-relative URL absolute, from the request's host (else WAGTAILADMIN_BASE_URL)."""
    if not url or not str(url).startswith("/"):
        return url or ""
    if request is not None and hasattr(request, "build_absolute_uri"):
        return request.build_absolute_uri(url)
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "") or ""
    return base.rstrip("/") + str(url)


@register.filter
def model_name(obj: Any) -> str:
    """The lower-case model name of a page (its specific class) or other model instance."""
    cls = getattr(obj, "specific_class", None) or type(obj)
    meta = getattr(cls, "_meta", None)
    return meta.model_name if meta is not None else ""


@register.filter
def in_section(page: Any, section: Any) -> bool:
    """True when ``page`` is ``section`` or lies below it (for ``aria-current`` in menus)."""
    path = getattr(page, "path", "") or ""
    section_path = getattr(section, "path", "") or ""
    return bool(path and section_path and path.startswith(section_path))


@register.filter
def share_image(page: Any) -> Any:
    """The image for Open Graph: the page's ``og_image``, else its own ``image`` if it has one."""
    return getattr(page, "og_image", None) or getattr(page, "image", None)
