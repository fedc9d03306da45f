"""RSS 2.0 and Atom 1.0 feeds of an article index."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.utils.feedgenerator import Atom1Feed


class ArticleRssFeed(Feed):
    """The newest 20 articles below one :class:`ArticleIndexPage`."""

    def __init__(self, index_page):
        super().__init__()
        self.index_page = index_page

    def title(self):
        return self.index_page.seo_title or self.index_page.title

    def link(self):
        return self.index_page.url

    def description(self):
        return self.index_page.search_description

    def items(self):
        return self.index_page.articles()[:20]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.intro or item.search_description

    def item_link(self, item):
        return item.url

    def item_pubdate(self, item):
        from datetime import datetime, time

        from django.utils import timezone

        return timezone.make_aware(datetime.combine(item.date, time(8)))

    def item_author_name(self, item):
        return item.author or None

    def item_categories(self, item):
        return [t.name for t in item.topics.all()]


class ArticleAtomFeed(ArticleRssFeed):
    feed_type = Atom1Feed
    subtitle = ArticleRssFeed.description
