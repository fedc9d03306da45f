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
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

register = template.Library()

#: Attribute of the request (or, without one, of the template context) holding the
#: per-request memo of the helpers below. It lives exactly as long as the request, so
#: nothing computed here can go stale between requests or disagree between app servers.
_MEMO_ATTR = "_magpie_content_memo"


def _request(context: template.Context) -> Any | None:
    return context.get("request")


def _memo(context: template.Context) -> dict[Any, Any]:
    """The per-request memo: a dict stored on the request, else on the context."""
    holder = _request(context)
    if holder is None:
        holder = context
    memo = getattr(holder, _MEMO_ATTR, None)
    if memo is None:
        memo = {}
        try:
            setattr(holder, _MEMO_ATTR, memo)
        except AttributeError:  # an object that takes no attributes: no memo, still correct
            pass
    return memo


def _page(context: template.Context) -> Page | None:
    page = context.get("page")
    return page if isinstance(page, Page) else None


def _page_key(page: Page | None) -> tuple[int, Any] | None:
    """Identifies the page object within one request (preview pages may have no pk yet)."""
    return None if page is None else (id(page), page.pk)


def _site(context: template.Context) -> Site | None:
    request = _request(context)
    if request is None:
        memo = _memo(context)
        if "site" not in memo:
            memo["site"] = (
                Site.objects.filter(is_default_site=True).select_related("root_page").first()
            )
        return memo["site"]
    return Site.find_for_request(request)  # cached on the request by Wagtail


def _translations(context: template.Context) -> dict[tuple[Any, int], Page]:
    """Every translation of the page and of the site's root page, in one query.

    Keyed by ``(translation_key, locale_id)``; each page comes with its locale (so the page's
    own language needs no further query). Generic ``Page`` objects: enough for titles and
    URLs, which is all the language switcher, the header and the footer use.
    """
    page = _page(context)
    site = _site(context)
    root = site.root_page if site is not None else None
    memo = _memo(context)
    key = ("translations", _page_key(page), root.pk if root is not None else None)
    if key not in memo:
        keys = [p.translation_key for p in (page, root) if p is not None and p.translation_key]
        found: dict[tuple[Any, int], Page] = {}
        if keys:
            for other in Page.objects.filter(translation_key__in=keys).select_related("locale"):
                found[(other.translation_key, other.locale_id)] = other
        memo[key] = found
    return memo[key]


def _locales(context: template.Context) -> dict[int, Locale]:
    """The locales met in :func:`_translations` (plus the page's own), by primary key."""
    locales = {other.locale_id: other.locale for other in _translations(context).values()}
    page = _page(context)
    if page is not None and page.locale_id and page.locale_id not in locales:
        locales[page.locale_id] = page.locale  # an unsaved preview page: one query
    return locales


def _locale(context: template.Context) -> Locale | None:
    """The page's locale, else the active language's locale (both looked up once per request)."""
    page = _page(context)
    if page is not None and page.locale_id:
        if Page.locale.is_cached(page):
            return page.locale
        return _locales(context)[page.locale_id]
    memo = _memo(context)
    if "active_locale" not in memo:
        memo["active_locale"] = _active_locale(context)
    return memo["active_locale"]


def _active_locale(context: template.Context) -> Locale | None:
    """The locale of the active language, from the known locales when possible."""
    try:
        code = get_supported_content_language_variant(translation.get_language())
    except LookupError:
        code = None
    for locale in _locales(context).values():
        if locale.language_code == code:
            return locale
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
        return _translations(context).get((root.translation_key, locale.pk)) or root
    return root


@register.simple_tag(takes_context=True)
def menu_pages(context: template.Context) -> list[Page]:
    """Live, public children of the home page marked "show in menus", in tree order.

    One query per request (the header and a footer share it). The items are generic
    ``Page`` objects: menus show titles and link to URLs, neither of which needs the
    page's specific type.
    """
    from magpie.content.models import exclude_private

    home = site_home(context)
    if home is None:
        return []
    memo = _memo(context)
    key = ("menu", home.pk)
    if key not in memo:
        memo[key] = list(exclude_private(Page.objects.child_of(home).live().in_menu()))
    return memo[key]


@register.simple_tag(takes_context=True)
def language_links(context: template.Context) -> list[dict[str, Any]]:
    """One entry per content language, for the language switcher and hreflang links.

    Each entry has ``code``, ``name``, ``url`` (absolute), ``current`` (the page's own
    language) and ``exact`` (``True`` when ``url`` is a translation of this page rather
    than the other language's home page, which is where a missing translation leads).
    A routable page serving a sub-route (a catalog category or product, say) puts the
    route below the page into the context as ``route_suffix`` ("tools/drills/"); exact
    links then keep it, so switching language stays on the same category or product.
    Computed once per request; the header and the SEO tags share the result.
    """
    page = _page(context)
    memo = _memo(context)
    key = ("language_links", _page_key(page), context.get("route_suffix"))
    if key not in memo:
        memo[key] = _language_links(context, page)
    return memo[key]


def _language_links(context: template.Context, page: Page | None) -> list[dict[str, Any]]:
    request = _request(context)
    current = page_language(context)
    home = site_home(context)
    translations = _translations(context)
    locales = {locale.language_code: locale for locale in _locales(context).values()}
    links: list[dict[str, Any]] = []
    for code, name in settings.WAGTAIL_CONTENT_LANGUAGES:
        locale = locales.get(code)
        if locale is None:  # neither this page nor the home page exists in that language
            continue
        target, exact = None, False
        if page is not None and page.pk:
            if page.locale_id == locale.pk:
                target, exact = page, True
            else:
                translated = translations.get((page.translation_key, locale.pk))
                if translated is not None and translated.live:
                    target, exact = translated, True
        if target is None and home is not None:
            target = translations.get((home.translation_key, locale.pk))
            if target is not None and not target.live:
                target = None
        url = target.get_full_url(request) if target is not None else None
        if url and exact:
            url += context.get("route_suffix") or ""
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

    The index itself, an article's index, or on a home page its first live article index
    (looked up once per request: the head and the footer both ask).
    """
    from magpie.content.models import ArticleIndexPage, ArticlePage, HomePage

    page = context.get("page")
    if isinstance(page, ArticleIndexPage):
        return page if page.pk else None
    if isinstance(page, ArticlePage) and page.pk:
        parent = page.get_parent()  # cached on the page by Wagtail's routing
        return parent.specific if parent is not None else None
    if isinstance(page, HomePage) and page.pk:
        memo = _memo(context)
        key = ("feed_index", _page_key(page))
        if key not in memo:
            memo[key] = ArticleIndexPage.objects.child_of(page).live().first()
        return memo[key]
    return None


@register.simple_tag
def latest_articles(page: Page, count: int = 3) -> list[Page]:
    """The newest live articles in the page's subtree (for teasers on the home page).

    Each comes with its image and topics, which the article cards show.
    """
    from magpie.content.models import ArticlePage, exclude_private

    if not isinstance(page, Page) or not page.pk:
        return []
    return list(
        exclude_private(
            ArticlePage.objects.descendant_of(page)
            .live()
            .filter(locale_id=page.locale_id)
            .order_by("-date", "-pk")
            .select_related("image")
            .prefetch_related("topics")
        )[:count]
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
