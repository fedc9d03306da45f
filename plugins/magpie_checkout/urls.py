"""URLs of the checkout plugin (placeholder until the shop views land)."""

app_name = "magpie_checkout"
urlpatterns: list = []
