"""Page types and content-strategy taxonomies.

* :class:`HomePage` — the root of a site (one per locale).
* :class:`ArticleIndexPage` / :class:`ArticlePage` — articles classified by *topic* (what it
  is about) and *audience* (who it is for), with an RSS and Atom feed.
* :class:`LandingPage` — built from the block library in :mod:`magpie.content.blocks`.

Every page carries SEO fields: Wagtail's title tag and meta description plus an Open
Graph image.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Length, Substr
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page, PageViewRestriction, TranslatableMixin
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from magpie.content.blocks import RICH_FEATURES, PluggableStreamField, host_blocks


def in_site_tree(site: Any) -> Q:
    """A filter for pages below ``site``'s root page or any of its translations (every
    language tree of the site); no restriction for ``site=None``."""
    tree = Q()
    if site is not None:
        for root in site.root_page.get_translations(inclusive=True):
            tree |= Q(path__startswith=root.path)
    return tree


def exclude_private(queryset: PageQuerySet) -> PageQuerySet:
    """``queryset`` without pages in a private section, in a single query.

    Same result as Wagtail's ``.public()`` (no view restriction on the page or any of its
    ancestors), but as a correlated ``NOT EXISTS`` subquery instead of a separate query that
    loads every restriction first: a restriction applies when its page's tree path is a
    prefix of the candidate's path.
    """
    restricted = PageViewRestriction.objects.filter(
        page__path=Substr(OuterRef("path"), 1, Length("page__path"))
    )
    return queryset.filter(~Exists(restricted))


@register_snippet
class Topic(TranslatableMixin, models.Model):
    """What an article is about (e.g. drive technology, maintenance)."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("topic")
        ordering = ["name"]
        unique_together = [("translation_key", "locale"), ("slug", "locale")]

    def __str__(self) -> str:
        return self.name


@register_snippet
class Audience(TranslatableMixin, models.Model):
    """Who an article is for (e.g. purchasing, maintenance engineers, management)."""

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("audience")
        ordering = ["name"]
        unique_together = [("translation_key", "locale"), ("slug", "locale")]

    def __str__(self) -> str:
        return self.name


class SeoMixin(models.Model):
    """Open Graph image next to Wagtail's own SEO title and search description."""

    og_image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("social sharing image"),
        help_text=_("Shown when the page is shared (Open Graph); 1200×630 works best."),
    )

    promote_panels = [
        MultiFieldPanel(
            [
                FieldPanel("slug"),
                FieldPanel("seo_title"),
                FieldPanel("search_description"),
                FieldPanel("og_image"),
            ],
            heading=_("For search engines and social media"),
        ),
        MultiFieldPanel([FieldPanel("show_in_menus")], heading=_("For site menus")),
    ]

    class Meta:
        abstract = True

    def get_context(self, request: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Page context plus every enabled plugin's ``page_context`` contribution."""
        from magpie.plugins import call_safely

        context = super().get_context(request, *args, **kwargs)
        for _plugin, extra in call_safely("page_context", request=request, page=self):
            if isinstance(extra, dict):
                context.update(extra)
        return context


class HomePage(SeoMixin, Page):
    """The start page of a site."""

    intro = models.TextField(_("intro"), blank=True)
    body = PluggableStreamField(host_blocks(), blank=True, verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    promote_panels = SeoMixin.promote_panels
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    max_count_per_parent = 1
    template = "pages/home_page.html"

    class Meta:
        verbose_name = _("home page")


class ArticleIndexPage(SeoMixin, RoutablePageMixin, Page):
    """Lists articles, filterable by topic and audience; serves RSS and Atom feeds."""

    intro = RichTextField(_("intro"), blank=True, features=RICH_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    promote_panels = SeoMixin.promote_panels
    subpage_types = ["magpie_content.ArticlePage"]
    template = "pages/article_index_page.html"
    PAGE_SIZE = 12

    class Meta:
        verbose_name = _("article index")

    def articles(self):
        """Live articles below this index, newest first."""
        return exclude_private(
            ArticlePage.objects.child_of(self)
            .live()
            .order_by("-date", "-pk")
            .select_related("image")
            .prefetch_related("topics")
        )

    @path("")
    def index_route(self, request):
        from django.core.paginator import Paginator

        articles = self.articles()
        topic = request.GET.get("topic", "")[:100]
        audience = request.GET.get("audience", "")[:100]
        if topic:
            articles = articles.filter(topics__slug=topic)
        if audience:
            articles = articles.filter(audiences__slug=audience)
        page = Paginator(articles, self.PAGE_SIZE).get_page(request.GET.get("page"))
        return self.render(
            request,
            context_overrides={
                "articles": page,
                "topics": Topic.objects.filter(locale_id=self.locale_id),
                "audiences": Audience.objects.filter(locale_id=self.locale_id),
                "active_topic": topic,
                "active_audience": audience,
            },
        )

    @path("feed/rss/", name="rss")
    def rss_feed(self, request):
        from magpie.content.feeds import ArticleRssFeed

        return ArticleRssFeed(self)(request)

    @path("feed/atom/", name="atom")
    def atom_feed(self, request):
        from magpie.content.feeds import ArticleAtomFeed

        return ArticleAtomFeed(self)(request)


class ArticlePage(SeoMixin, Page):
    """An article, classified by topics and audiences."""

    date = models.DateField(_("date"), default=timezone.localdate)
    author = models.CharField(_("author"), max_length=120, blank=True)
    intro = models.TextField(_("intro"), blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = RichTextField(_("body"), features=RICH_FEATURES)
    topics = ParentalManyToManyField(Topic, blank=True, related_name="articles")
    audiences = ParentalManyToManyField(Audience, blank=True, related_name="articles")

    content_panels = [
        *Page.content_panels,
        FieldPanel("date"),
        FieldPanel("author"),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldPanel("body"),
        MultiFieldPanel(
            [FieldPanel("topics"), FieldPanel("audiences")], heading=_("Content strategy")
        ),
    ]
    promote_panels = SeoMixin.promote_panels
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
        index.FilterField("date"),
    ]
    parent_page_types = ["magpie_content.ArticleIndexPage"]
    subpage_types: list[str] = []
    template = "pages/article_page.html"

    class Meta:
        verbose_name = _("article")


class LandingPage(SeoMixin, Page):
    """A campaign page assembled from blocks (hero, text, call to action, FAQ, …)."""

    body = PluggableStreamField(host_blocks(), verbose_name=_("body"))

    content_panels = [*Page.content_panels, FieldPanel("body")]
    promote_panels = SeoMixin.promote_panels
    search_fields = [*Page.search_fields, index.SearchField("body")]
    subpage_types: list[str] = []
    template = "pages/landing_page.html"

    class Meta:
        verbose_name = _("landing page")
