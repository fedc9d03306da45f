"""The landing-page block library, plus the blocks plugins register.

Host blocks are written into migrations as usual. Plugin blocks (``landing_page_blocks``
hook) are added at start-up and left out of the field's ``deconstruct()``, so the host's
migrations never depend on which plugins are installed.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks import StructBlockValidationError
from wagtail.blocks.definition_lookup import BlockDefinitionLookupBuilder
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.fields import StreamField
from wagtail.images.blocks import ImageBlock

RICH_FEATURES = ["h2", "h3", "bold", "italic", "link", "ol", "ul", "document-link"]


class LinkBlock(blocks.StructBlock):
    """A label with a page, an external URL or a document to link to.

    Optional where the parent says so: left empty, it renders nothing; filled in at all,
    it needs a label and one target.
    """

    label = blocks.CharBlock(label=_("Label"), max_length=80, required=False)
    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = blocks.URLBlock(label=_("or URL"), required=False)
    document = DocumentChooserBlock(label=_("or document"), required=False)

    class Meta:
        icon = "link"

    def clean(self, value):
        value = super().clean(value)
        target = value.get("page") or value.get("url") or value.get("document")
        if not self.required and not (target or value.get("label")):
            return value
        errors = {}
        if not value.get("label"):
            errors["label"] = ValidationError(_("Enter the link's label."))
        if not target:
            errors["url"] = ValidationError(_("Choose a page or a document, or enter a URL."))
        if errors:
            raise StructBlockValidationError(block_errors=errors)
        return value


class HeroBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=120)
    text = blocks.TextBlock(label=_("Text"), required=False)
    image = ImageBlock(required=False)
    cta = LinkBlock(required=False, label=_("Call to action"))

    class Meta:
        icon = "pick"
        template = "blocks/hero.html"
        label = _("Hero")


class CallToActionBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=120)
    text = blocks.TextBlock(label=_("Text"), required=False)
    link = LinkBlock(label=_("Button"))

    class Meta:
        icon = "pick"
        template = "blocks/call_to_action.html"
        label = _("Call to action")


class ColumnsBlock(blocks.StructBlock):
    columns = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("heading", blocks.CharBlock(required=False, max_length=120)),
                ("text", blocks.RichTextBlock(features=RICH_FEATURES)),
            ]
        ),
        min_num=2,
        max_num=4,
    )

    class Meta:
        icon = "table"
        template = "blocks/columns.html"
        label = _("Columns")


class TestimonialBlock(blocks.StructBlock):
    quote = blocks.TextBlock(label=_("Quote"))
    name = blocks.CharBlock(label=_("Name"), max_length=120)
    role = blocks.CharBlock(label=_("Role and company"), required=False, max_length=160)

    class Meta:
        icon = "openquote"
        template = "blocks/testimonial.html"
        label = _("Testimonial")


class FAQBlock(blocks.StructBlock):
    heading = blocks.CharBlock(required=False, max_length=120)
    items = blocks.ListBlock(
        blocks.StructBlock(
            [
                ("question", blocks.CharBlock(max_length=200)),
                ("answer", blocks.RichTextBlock(features=RICH_FEATURES)),
            ]
        )
    )

    class Meta:
        icon = "help"
        template = "blocks/faq.html"
        label = _("FAQ")


def host_blocks() -> list[tuple[str, Any]]:
    """The host's own landing-page blocks (these go into migrations)."""
    return [
        ("hero", HeroBlock()),
        (
            "rich_text",
            blocks.RichTextBlock(features=RICH_FEATURES, template="blocks/rich_text.html"),
        ),
        ("image", ImageBlock(template="blocks/image.html")),
        ("call_to_action", CallToActionBlock()),
        ("columns", ColumnsBlock()),
        ("testimonial", TestimonialBlock()),
        ("faq", FAQBlock()),
        ("embed", EmbedBlock(template="blocks/embed.html", icon="media")),
    ]


def plugin_blocks() -> list[tuple[str, Any]]:
    """Blocks every installed plugin contributes through ``landing_page_blocks``."""
    from magpie.plugins import get_host

    result: list[tuple[str, Any]] = []
    for contributed in reversed(get_host().hook.landing_page_blocks()):
        result.extend(contributed or [])
    return result


class PluggableStreamField(StreamField):
    """A StreamField with the host's blocks plus the blocks installed plugins register.

    Only the host's blocks are deconstructed, as a plain ``StreamField``, so migrations
    stay the same whichever plugins are installed.
    """

    def __init__(self, block_types: Any, **kwargs: Any) -> None:
        self.host_block_names: list[str] | None = None
        if isinstance(block_types, list) and "block_lookup" not in kwargs:
            self.host_block_names = [name for name, _block in block_types]
            taken = set(self.host_block_names)
            block_types = [*block_types, *[(n, b) for n, b in plugin_blocks() if n not in taken]]
        super().__init__(block_types, **kwargs)

    def deconstruct(self):
        name, _path, _args, kwargs = models.Field.deconstruct(self)
        lookup = BlockDefinitionLookupBuilder()
        block_types = [
            (block_name, lookup.add_block(block))
            for block_name, block in self.stream_block.child_blocks.items()
            if self.host_block_names is None or block_name in self.host_block_names
        ]
        kwargs["block_lookup"] = lookup.get_lookup_as_dict()
        return name, "wagtail.fields.StreamField", [block_types], kwargs
