"""What the search plugin stores: the database engine's product documents, synonyms and
the search log (the raw material of the top and zero-result query reports)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from magpie_search.text import tokens


class ProductDocument(models.Model):
    """The searchable text of one active product (database engine only).

    ``text`` holds the folded words of the SKU (also normalised), names, brand, categories,
    attribute values and descriptions in both languages, with a leading space so that
    ``LIKE '% word%'`` finds word prefixes on SQLite. On PostgreSQL a generated ``tsvector``
    column with a GIN index (migration ``0002``) answers the same prefix queries.
    """

    product = models.OneToOneField(
        "magpie_catalog.Product",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="search_document",
    )
    text = models.TextField()
    sku = models.CharField(max_length=200, db_index=True)
    name_de = models.CharField(max_length=300, blank=True)
    name_en = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("product search document")


class Synonym(models.Model):
    """A group of words that mean the same to a searcher ("Motor, Antrieb, drive")."""

    terms = models.CharField(
        _("terms"),
        max_length=500,
        help_text=_("Words that mean the same, separated by commas, e.g. Motor, Antrieb, drive."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("synonym group")
        verbose_name_plural = _("synonyms")
        ordering = ["terms"]

    def __str__(self) -> str:
        return self.terms

    def words(self) -> list[str]:
        """The group's words, folded (single words only; phrases are split off)."""
        seen: list[str] = []
        for part in self.terms.split(","):
            for word in tokens(part)[:1]:
                if word not in seen:
                    seen.append(word)
        return seen

    def clean(self) -> None:
        if len(self.words()) < 2:
            raise ValidationError({"terms": _("Enter at least two different words.")})


class SearchQuery(models.Model):
    """One search as a visitor ran it."""

    query = models.CharField(_("query"), max_length=256, db_index=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    results = models.PositiveIntegerField(_("results"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    searched_at = models.DateTimeField(_("searched at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("search")
        verbose_name_plural = _("searches")
        indexes = [models.Index(fields=["results", "searched_at"])]
        permissions = [("view_search_reports", _("Can view search reports"))]


from magpie_search.pages import SearchPage  # noqa: E402,F401
