"""Template tags every theme can use (installed as builtins)."""

from __future__ import annotations

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from magpie.plugins import call_safely

register = template.Library()


@register.simple_tag(takes_context=True)
def plugin_slot(context: template.Context, slot: str) -> SafeString:
    """Render what enabled plugins put into the named ``slot`` (``render_slot`` hook).

    Plugin output is trusted HTML when marked safe, escaped otherwise; a failing plugin's
    fragment is left out.
    """
    request = context.get("request")
    if request is None:
        return mark_safe("")
    flat = context.flatten()
    parts = [
        conditional_escape(html)
        for _plugin, html in call_safely("render_slot", request=request, slot=slot, context=flat)
    ]
    return mark_safe("".join(parts))
