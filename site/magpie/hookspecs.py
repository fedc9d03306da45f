"""Hook specifications: the extension points a Magpie plugin can implement.

Each hook's docstring is its reference documentation; ``docs/hooks.md`` is generated from
this module (``magpie manage hooks_doc``) and a test fails when a hook is undocumented.

Hooks come in three kinds:

* **registration** hooks are read once at start-up (``historic=True`` where a late plugin
  must still be told);
* **computation** hooks are called during a request; ``firstresult=True`` where one answer
  wins, and an exception fails the request loudly;
* **event** hooks receive domain events after commit, through the outbox
  (see :mod:`magpie.events`), once per plugin, with retries.
"""

from __future__ import annotations

from typing import Any

import pluggy

PROJECT = "magpie"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# --- registration: read once at start-up -----------------------------------------------


@hookspec
def django_apps() -> list[str]:
    """Return dotted paths of Django apps this plugin installs (models, migrations, templates).

    Read in settings, before Django starts: the module implementing this hook must not
    import Django models at module level.
    """


@hookspec
def url_patterns() -> list[Any]:
    """Return Django URL patterns to mount at the site root, before Wagtail's page routing.

    Patterns are mounted in the order plugins are registered; prefix them
    (``path("shop/", include(...))``) to avoid collisions. On a site where the plugin is
    disabled they answer 404.
    """


@hookspec
def landing_page_blocks() -> list[tuple[str, Any]]:
    """Return ``(name, block)`` pairs added to the landing page's block library.

    The blocks show in the editor and render on the site; they are not written into the
    host's migrations, so installing or removing a plugin never changes them.
    """


@hookspec
def themes() -> list[str]:
    """Return paths of theme directories (each holding ``theme.toml``) this plugin ships."""


@hookspec
def demo_data(stdout: Any) -> None:
    """Load this plugin's demo data; called by ``magpie demo`` after the host's content.

    Must be idempotent: a second call changes nothing and duplicates nothing. Write
    progress to ``stdout`` (a file-like object).
    """


@hookspec
def config_form() -> Any:
    """Return a Django ``forms.Form`` class describing this plugin's per-site settings.

    Settings → Plugins shows it as a form for each site; values are validated by the form
    and stored with the plugin's state. Read them with :func:`magpie.plugins.plugin_config`.
    Secrets (API keys, passwords) do not belong here: read them from environment variables.
    """


# --- computation: called in a request --------------------------------------------------


@hookspec
def page_context(request: Any, page: Any) -> dict[str, Any] | None:
    """Return extra template context for rendering a Wagtail ``page`` in ``request``.

    Called through :func:`magpie.plugins.call_safely`: a plugin that raises is logged and
    skipped, the page still renders.
    """


@hookspec
def render_slot(slot: str, request: Any, context: dict[str, Any]) -> str | None:
    """Return HTML for a named template slot (``head``, ``body_end``, ``consent_banner``,
    ``header_actions``, …), or ``None``.

    Templates fill slots with ``{% plugin_slot "name" %}``; the output of every enabled
    plugin is joined. Called safely: a failing plugin's fragment is left out.
    """


@hookspec
def robots_txt(request: Any) -> list[str] | None:
    """Return extra lines for ``/robots.txt`` (for example ``Disallow: /cart/``)."""


@hookspec
def sitemaps(request: Any) -> dict[str, Any] | None:
    """Return sections for the sitemap index: ``{name: Sitemap}`` with instances of
    :class:`django.contrib.sitemaps.Sitemap` for ``request``'s site, or ``None``.

    ``/sitemap.xml`` lists every section of every enabled plugin beside the host's
    ``pages``; each section is served at ``/sitemap-<name>.xml`` and paged by its ``limit``
    (at most 50,000 URLs per file). Prefix names with the plugin's name; called safely.
    """


@hookspec
def touchpoint_types() -> list[str]:
    """Return the touchpoint types this plugin records (``"form_submission"``,
    ``"cart_add"``, …) beside the host's own; :func:`magpie.journey.recording.record` refuses
    a type nobody declared."""


@hookspec
def export_personal_data(contact: Any) -> dict[str, Any] | None:
    """Return what this plugin stores about ``contact`` as JSON-ready data (keyed by the
    plugin's name in the export), or ``None``. Called for a privacy export; called safely."""


@hookspec
def erase_personal_data(contact: Any) -> None:
    """Delete or anonymise what this plugin stores about ``contact``, in the erasing
    transaction (raise to abort the erasure: nothing is erased then)."""


@hookspec
def enrich_contact(contact: Any) -> dict[str, Any] | None:
    """Return what this plugin can tell about ``contact`` (a new or updated
    :class:`magpie.people.models.Contact`), or ``None``.

    Keys are contact fields (``"phone"``, ``"job_title"``, …) plus ``"country"`` (ISO
    3166-1 alpha-2) and ``"company"`` (a dict with ``name``, ``domain``, ``country``,
    ``industry``, ``size``). The caller fills only fields that are still empty; the
    plugin loaded first wins. Called safely: a failing implementation is logged and skipped.
    """


@hookspec
def lead_scoring_rules(site: Any) -> list[Any] | None:
    """Return scoring rules this plugin adds on ``site``, beside the rules edited in the
    admin (Leads → Scoring rules).

    A rule is any object with ``key`` (unique, stable: it names the rule in the score
    history and its cap), ``label``, ``kind`` (``"engagement"`` or ``"fit"``), ``points``
    (an int, may be negative), ``cap_points`` and ``cap_period_days`` (or ``None``) and a
    method ``matches(contact, touchpoint)`` (``touchpoint`` is ``None`` for fit rules).
    ``magpie_leads.scoring.PluginRule`` is a ready dataclass.
    """


@hookspec(firstresult=True)
def visitor_company(request: Any) -> Any:
    """Return the :class:`magpie.people.models.Company` the visitor of ``request`` buys
    for, or ``None`` to let the next plugin answer (the B2B accounts plugin answers for
    logged-in buyers). Ask through :func:`magpie.people.visitor_company`, which asks once
    per request. Prices, availability and pages shown for a company depend on it.
    """


@hookspec(firstresult=True)
def product_listing(request: Any) -> Any:
    """Return the class that lists a catalog category's products for ``request``, or
    ``None`` for the catalog's SQL engine (:class:`magpie_catalog.filters.ProductFilter`).

    The class takes the same constructor arguments and offers the same ``page()``,
    ``facets()``, ``sort`` and ``selections`` (the search plugin answers with its engine
    when ``SEARCH_URL`` names OpenSearch or Elasticsearch). It must not raise on an
    unreachable service: fall back instead.
    """


@hookspec(firstresult=True)
def resolve_price(
    product: Any, variant: Any, quantity: int, company: Any, currency: str, at: Any
) -> Any:
    """Return the :class:`magpie.pricing.Price` per unit of ``product`` (or its ``variant``)
    for ``quantity`` units, as ``company`` (``None``: an anonymous visitor) pays it in
    ``currency`` at time ``at`` — or ``None`` to let the next plugin answer.

    The first answer wins; the catalog's price lists answer last (``trylast``), so another
    plugin (an ERP connector, a contract-price service) can override them. Call it through
    :func:`magpie.pricing.get_price`. An exception fails the request: never a silent wrong
    price.
    """


@hookspec
def resolve_prices(items: list[tuple[Any, Any, int]], company: Any, currency: str, at: Any) -> Any:
    """Batch form of :func:`resolve_price`: return one :class:`magpie.pricing.Price` or
    ``None`` per ``(product, variant, quantity)`` of ``items``, in order.

    Optional: a plugin that implements ``resolve_price`` may add this to answer a whole
    cart in a few queries. :func:`magpie.pricing.get_prices` asks the plugins in
    ``resolve_price`` order and uses a plugin's batch form where it has one, its single
    form otherwise; an item keeps the first answer. Same rules as ``resolve_price``.
    """


@hookspec
def shipping_methods(cart: Any, address: dict[str, str], company: Any) -> list[Any] | None:
    """Return the shipping options this plugin offers for ``cart`` to ``address`` (a dict
    with ``country``, ``postal_code``, …) for ``company``, or ``None``.

    Each option has ``code`` (unique), ``label``, ``net`` (a :class:`~decimal.Decimal` in
    the cart's currency) and optionally ``description``; the checkout plugin ships flat
    rate, weight-based and pickup. An exception fails the checkout (never a wrong price).
    """


@hookspec
def payment_methods(cart: Any, company: Any, wanted: str | None) -> list[Any] | None:
    """Return the payment options this plugin offers for ``cart`` of ``company``, or
    ``None``. Each has ``code``, ``label`` and ``available`` (with a ``reason`` when not:
    e.g. invoice over the credit limit); the checkout plugin ships invoice (on account)
    and prepayment by bank transfer.

    ``wanted`` is the code of the one option the caller needs (placing an order checks the
    chosen method), or ``None`` for all of them (the checkout page): a plugin may leave out
    the others and the work of checking them. An implementation may omit the argument.
    """


@hookspec(firstresult=True)
def order_tax(company: Any, country: str, currency: str) -> Any:
    """Return the VAT of an order of ``company`` delivered to ``country`` (ISO 3166-1):
    an object with ``rate`` (percent, :class:`~decimal.Decimal`), ``reverse_charge`` and
    ``country`` — or ``None`` for the next plugin. The checkout plugin answers last
    (CH 8.1 %, DE 19 %, AT 20 %, reverse charge for cross-border EU B2B with a VAT ID).
    """


@hookspec
def validate_order(order: Any) -> list[str] | None:
    """Return messages that stop ``order`` (a draft, not saved yet) from being placed, or
    ``None``. Every enabled plugin is asked; any message refuses the order and nothing is
    written."""


@hookspec(firstresult=True)
def active_theme(request: Any, site: Any) -> str | None:
    """Return the name of the theme to render ``request`` with, or ``None`` for the site's
    configured theme. The first non-``None`` answer wins (e.g. a preview-theme plugin)."""


# --- domain events: delivered after commit, once per plugin ----------------------------


@hookspec
def handle_event(event: Any) -> None:
    """Receive a domain event (``event.type``, ``event.payload``, ``event.id``).

    Delivered after the emitting transaction commits, once per plugin, by a background
    task. Raise to have the delivery retried with exponential back-off; the same
    ``event.id`` arrives again, so make handling idempotent.
    """


@hookspec
def event_types() -> list[str] | None:
    """Return the event types this plugin's ``handle_event`` wants (``"product.changed"``,
    or a prefix such as ``"order.*"``), or ``None`` for every event.

    Only plugins that want an event get a delivery row for it, so a plugin interested in
    a few types costs nothing for the many others (an import emits thousands).
    """
