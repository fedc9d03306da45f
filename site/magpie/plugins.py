"""The plugin host: discovery, the pluggy manager, per-site enablement and safe calls.

Plugins are found through the entry-point group ``magpie.plugins`` (plus dotted module
paths in ``MAGPIE_PLUGINS`` for development). Each entry point names an object whose
attributes marked with :data:`magpie.hookspecs.hookimpl` implement hooks. Discovery runs
once per process, from settings, so plugins' Django apps join ``INSTALLED_APPS``.

A plugin that fails to import is recorded with its error (shown in Settings → Plugins) and
left out; the site still starts.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module, metadata
from typing import Any

import pluggy

from magpie import hookspecs

logger = logging.getLogger("magpie.plugins")

ENTRY_POINT_GROUP = "magpie.plugins"
EXTRA_PLUGINS_VARIABLE = "MAGPIE_PLUGINS"


@dataclass
class PluginInfo:
    """What the host knows about one installed plugin."""

    name: str
    source: str
    version: str = ""
    distribution: str = ""
    error: str = ""
    hooks: list[str] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        """True when the plugin imported and registered without error."""
        return not self.error


class PluginHost:
    """A pluggy manager plus the record of every plugin that was found."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}

    # -- loading -------------------------------------------------------------------------

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register every plugin advertised under the entry-point ``group``."""
        seen: set[str] = set()
        for ep in sorted(metadata.entry_points(group=group), key=lambda ep: ep.name):
            if ep.name in seen:  # the same distribution found twice on sys.path
                continue
            seen.add(ep.name)
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                name=ep.name,
                source=ep.value,
                version=getattr(dist, "version", "") or "",
                distribution=getattr(dist, "name", "") or "",
            )
            self._register(info, ep.load)

    def load_modules(self, specs: Iterable[str]) -> None:
        """Register plugins given as ``[name=]package.module[:attribute]`` specs.

        Without ``name=``, the plugin is named after the module path.
        """
        for spec in specs:
            name, _, path = spec.rpartition("=")
            module_path, _, attr = path.partition(":")
            name = name or module_path

            def load(module_path: str = module_path, attr: str = attr) -> Any:
                module = import_module(module_path)
                return getattr(module, attr) if attr else module

            self._register(PluginInfo(name=name, source=path), load)

    def _register(self, info: PluginInfo, load: Any) -> None:
        if info.name in self.plugins:
            return
        self.plugins[info.name] = info
        try:
            plugin = load()
            self.pm.register(plugin, name=info.name)
            self.pm.check_pending()
        except Exception as exc:
            if self.pm.has_plugin(info.name):
                self.pm.unregister(name=info.name)
            info.error = f"{type(exc).__name__}: {exc}"
            logger.error(
                "Plugin %s (%s) failed to load and is left out: %s\n%s",
                info.name,
                info.source,
                info.error,
                traceback.format_exc(),
            )
            return
        info.hooks = sorted(
            caller.name for caller in self.pm.get_hookcallers(plugin) or [] if caller.spec
        )
        if not info.version:
            info.version = getattr(plugin, "__version__", "") or _module_version(info.source)

    # -- queries ---------------------------------------------------------------------------

    @property
    def hook(self) -> Any:
        """All plugins' hooks, ignoring per-site state (for registration hooks)."""
        return self.pm.hook

    def django_apps(self) -> list[str]:
        """Django apps every loaded plugin asks for, in registration order, without repeats."""
        apps: list[str] = []
        for result in reversed(self.pm.hook.django_apps()):
            for app in result or []:
                if app not in apps:
                    apps.append(app)
        return apps

    def hook_for(self, name: str, disabled: frozenset[str] = frozenset()) -> Any:
        """Return the caller of hook ``name`` without the ``disabled`` plugins."""
        if not disabled:
            return getattr(self.pm.hook, name)
        return _subset_caller(self, name, disabled)

    def implementations(self, name: str, disabled: frozenset[str] = frozenset()) -> list[Any]:
        """The hook implementations of ``name`` from enabled plugins, in call order."""
        impls = getattr(self.pm.hook, name).get_hookimpls()
        return [impl for impl in reversed(impls) if impl.plugin_name not in disabled]


@lru_cache(maxsize=512)
def _subset_caller(host: PluginHost, name: str, disabled: frozenset[str]) -> Any:
    plugins = [host.pm.get_plugin(plugin) for plugin in disabled if host.pm.has_plugin(plugin)]
    return host.pm.subset_hook_caller(name, remove_plugins=plugins)


def _module_version(module_path: str) -> str:
    top = module_path.split(".")[0]
    for dist_name in metadata.packages_distributions().get(top, []):
        try:
            return metadata.version(dist_name)
        except metadata.PackageNotFoundError:
            continue
    return ""


_host: PluginHost | None = None


def get_host() -> PluginHost:
    """Return the process-wide plugin host, discovering plugins on first use."""
    global _host
    if _host is None:
        host = PluginHost()
        host.load_entry_points()
        extra = [p.strip() for p in os.environ.get(EXTRA_PLUGINS_VARIABLE, "").split(",")]
        host.load_modules(p for p in extra if p)
        _host = host
    return _host


# -- per-site state -----------------------------------------------------------------------


def disabled_plugins(site: Any | None) -> frozenset[str]:
    """Names of plugins switched off for ``site`` (one query; nothing is kept in memory)."""
    if site is None:
        return frozenset()
    from magpie.pluginhost.models import PluginState

    return frozenset(
        PluginState.objects.filter(site=site, enabled=False).values_list("plugin", flat=True)
    )


def disabled_for_request(request: Any) -> frozenset[str]:
    """Plugins disabled for the request's site (cached per content generation)."""
    cached = getattr(request, "_magpie_disabled_plugins", None)
    if cached is None:
        from wagtail.models import Site

        from magpie.pagecache.state import site_state

        cached = site_state(request, Site.find_for_request(request))["disabled"]
        try:
            request._magpie_disabled_plugins = cached
        except AttributeError:
            pass
    return cached


def hook(name: str, request: Any | None = None, site: Any | None = None) -> Any:
    """Return hook ``name`` limited to the plugins enabled for the request's (or given) site.

    Computation hooks go through this: an exception a plugin raises propagates (a wrong
    price must fail loudly, never silently).
    """
    disabled = disabled_for_request(request) if request is not None else disabled_plugins(site)
    return get_host().hook_for(name, disabled)


def call_safely(
    name: str, request: Any | None = None, site: Any | None = None, **kwargs: Any
) -> list[tuple[str, Any]]:
    """Call every enabled implementation of hook ``name``, each in its own ``try``.

    Returns ``(plugin_name, result)`` pairs for implementations that returned something
    other than ``None``. A plugin that raises is logged against its name and skipped, so
    rendering extras and notifications never take the page down.
    """
    disabled = disabled_for_request(request) if request is not None else disabled_plugins(site)
    results: list[tuple[str, Any]] = []
    for impl in get_host().implementations(name, disabled):
        args = {arg: kwargs.get(arg) for arg in impl.argnames}
        if "request" in impl.argnames:
            args["request"] = request
        try:
            result = impl.function(**args)
        except Exception:
            logging.getLogger(f"magpie.plugins.{impl.plugin_name}").exception(
                "Plugin %s failed in hook %s; its contribution is left out.",
                impl.plugin_name,
                name,
            )
            continue
        if result is not None:
            results.append((impl.plugin_name, result))
    return results


# -- per-site configuration ---------------------------------------------------------------


def config_form_class(name: str) -> Any | None:
    """The form class plugin ``name`` declares for its settings, or ``None``."""
    for impl in get_host().implementations("config_form"):
        if impl.plugin_name == name:
            return impl.function()
    return None


def plugin_config(name: str, site: Any) -> dict[str, Any]:
    """Plugin ``name``'s settings on ``site``: stored values over the form's initial values."""
    from magpie.pluginhost.models import PluginState

    form_class = config_form_class(name)
    values: dict[str, Any] = {}
    if form_class is not None:
        for field_name, form_field in form_class.base_fields.items():
            initial = form_field.initial
            values[field_name] = initial() if callable(initial) else initial
    state = PluginState.objects.filter(site=site, plugin=name).only("config").first()
    if state is not None:
        values.update(state.config)
    return values
