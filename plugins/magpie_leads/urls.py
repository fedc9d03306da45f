"""URLs of the leads plugin (filled in by the capture module)."""

urlpatterns: list = []
