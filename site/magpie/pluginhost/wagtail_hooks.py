"""Admin wiring: Settings → Plugins."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from magpie.pluginhost.views import PERMISSION, PluginConfigView, PluginListView


@hooks.register("register_admin_urls")
def register_plugin_urls():
    return [
        path("plugins/", PluginListView.as_view(), name="magpie_plugins"),
        path(
            "plugins/<str:name>/settings/",
            PluginConfigView.as_view(),
            name="magpie_plugin_config",
        ),
    ]


class PluginsMenuItem(MenuItem):
    def is_shown(self, request):
        return request.user.has_perm(PERMISSION)


@hooks.register("register_settings_menu_item")
def register_plugins_menu_item():
    return PluginsMenuItem(_("Plugins"), reverse("magpie_plugins"), icon_name="plug", order=900)


@hooks.register("register_permissions")
def register_plugin_permissions():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(
        content_type__app_label="magpie_pluginhost", codename="manage_plugins"
    )
