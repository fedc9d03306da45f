"""Settings → Plugins: every installed plugin with version, hooks, errors and per-site state."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Site

from magpie.pluginhost.models import PluginState
from magpie.plugins import config_form_class, disabled_plugins, get_host, plugin_config

PERMISSION = "magpie_pluginhost.manage_plugins"


class PluginAdminView(PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """Base of the plugin screens: needs ``manage_plugins``; works on one site at a time."""

    permission_required = PERMISSION
    raise_exception = True

    def get_site(self) -> Site | None:
        """The site chosen with ``?site=`` (or the form), else the request's site."""
        site_id = self.request.GET.get("site") or self.request.POST.get("site")
        sites = Site.objects.all()
        if site_id and str(site_id).isdigit():
            return sites.filter(pk=site_id).first()
        return Site.find_for_request(self.request) or sites.first()


class PluginListView(PluginAdminView):
    """List installed plugins for one site and switch them on or off (POST, CSRF-checked)."""

    template_name = "magpie/admin/plugins.html"
    page_title = gettext_lazy("Plugins")
    header_icon = "plug"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        site = self.get_site()
        disabled = disabled_plugins(site)
        context.update(
            site=site,
            sites=Site.objects.order_by("hostname", "port"),
            plugins=[
                {
                    "info": info,
                    "enabled": info.loaded and info.name not in disabled,
                    "configurable": info.loaded and "config_form" in info.hooks,
                }
                for info in sorted(get_host().plugins.values(), key=lambda i: i.name)
            ],
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        site = self.get_site()
        name = request.POST.get("plugin", "")
        info = get_host().plugins.get(name)
        if site is None or info is None or not info.loaded:
            messages.error(request, _("Unknown plugin or site; nothing was changed."))
        else:
            enabled = request.POST.get("enabled") == "1"
            PluginState.objects.update_or_create(
                site=site, plugin=name, defaults={"enabled": enabled}
            )
            if enabled:
                messages.success(
                    request, _("%(name)s is enabled on %(site)s.") % {"name": name, "site": site}
                )
            else:
                messages.success(
                    request, _("%(name)s is disabled on %(site)s.") % {"name": name, "site": site}
                )
        url = reverse("magpie_plugins")
        return HttpResponseRedirect(f"{url}?site={site.pk}" if site else url)


class PluginConfigView(PluginAdminView):
    """Edit one plugin's settings on one site, validated by the plugin's ``config_form``."""

    template_name = "magpie/admin/plugin_config.html"
    header_icon = "cog"

    @cached_property
    def info(self) -> Any:
        info = get_host().plugins.get(self.kwargs["name"])
        if info is None or not info.loaded:
            raise Http404("No such plugin.")
        return info

    @cached_property
    def form_class(self) -> Any:
        form_class = config_form_class(self.info.name)
        if form_class is None:
            raise Http404("This plugin has no settings.")
        return form_class

    @cached_property
    def site(self) -> Site:
        site = self.get_site()
        if site is None:
            raise Http404("No site.")
        return site

    def get_page_title(self) -> str:
        return _("Settings of %(name)s") % {"name": self.info.name}

    def get_page_subtitle(self) -> str:
        return str(self.site)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form", self.form_class(initial=plugin_config(self.info.name, self.site))
        )
        context.update(site=self.site, plugin=self.info)
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.form_class(request.POST)
        if not form.is_valid():
            messages.error(request, _("The settings were not saved; please correct the errors."))
            return self.render_to_response(self.get_context_data(form=form))
        config = json.loads(json.dumps(form.cleaned_data, cls=DjangoJSONEncoder))
        PluginState.objects.update_or_create(
            site=self.site, plugin=self.info.name, defaults={"config": config}
        )
        messages.success(request, _("Settings of %(name)s saved.") % {"name": self.info.name})
        return HttpResponseRedirect(f"{reverse('magpie_plugins')}?site={self.site.pk}")
