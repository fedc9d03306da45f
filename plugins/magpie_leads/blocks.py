"""The landing page's lead form block."""

from wagtail import blocks


class LeadFormBlock(blocks.StaticBlock):
    """Placeholder until the capture module lands."""
