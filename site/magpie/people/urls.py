"""Public URLs of the people app, included at ``/consent/``."""

from django.urls import path

from magpie.people.views import consent

urlpatterns = [path("", consent, name="magpie_consent")]
