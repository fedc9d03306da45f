"""The shop API's own URL configuration, without language prefixes.

Every API view (:func:`magpie_checkout.api._json_errors`) names it as ``request.urlconf``
after the view ran, so Django's ``LocaleMiddleware`` does not turn the API's JSON 404 into a
redirect to a language-prefixed path (the site's URLs use ``i18n_patterns``, and Wagtail's
page routing matches any path). The site serves the API through the plugin's ``urls``.
"""

from __future__ import annotations

from django.urls import path

from magpie_checkout.api import api

urlpatterns = [path("shop/api/", api.urls)]
