"""Full-page cache for anonymous visitors, and the site state read once per content change.

Every rendered page an anonymous visitor gets is stored in Django's cache under a key that
holds a *generation* number kept in the database. Anything that can change what pages show
(publishing, moving or deleting a page, snippets, images, documents, site settings, sites,
locales, redirects, plugin state) bumps the generation in the same transaction, so every app
server stops using the old entries at once — even with a per-process cache.

Plugins whose data appears on pages call :func:`invalidate` when it changes, and mark a
response that must not be shared with :func:`never_cache_page`.
"""

from magpie.pagecache.state import generation, invalidate, never_cache_page  # noqa: F401
