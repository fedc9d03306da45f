"""URLs of the leads plugin, mounted at the site root by the ``url_patterns`` hook.

``/leads/forms/<id>/submit/`` (POST), ``/leads/forms/<id>/profile/`` (progressive
profiling), ``/leads/thanks/<public id>/`` and ``/leads/download/<signed token>/``.
"""

from __future__ import annotations

from django.urls import include, path

from magpie_leads import views

app_name = "magpie_leads"

leads_patterns = [
    path("forms/<int:form_id>/submit/", views.submit, name="submit"),
    path("forms/<int:form_id>/profile/", views.profile, name="profile"),
    path("thanks/", views.thanks_sent, name="thanks_sent"),
    path("thanks/<uuid:public_id>/", views.thanks, name="thanks"),
    path("download/<str:token>/", views.download, name="download"),
]

urlpatterns = [path("leads/", include((leads_patterns, app_name), namespace=app_name))]
