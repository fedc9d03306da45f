from django.urls import path

from magpie.journey.views import client_event

app_name = "magpie_journey"

urlpatterns = [path("events/", client_event, name="events")]
