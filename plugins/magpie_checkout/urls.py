"""URLs of the checkout plugin, mounted at the site root by the ``url_patterns`` hook.

Everything lives under ``/shop/`` in the ``magpie_checkout`` namespace: login, registration,
invitations, cart, quick order and upload, checkout, approval links, the account area
(orders and their documents, approvals, lists, users, addresses) and reorder.
"""

from __future__ import annotations

from django.urls import include, path

from magpie_checkout import api_views, views
from magpie_checkout.api import api

app_name = "magpie_checkout"

shop_patterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("password/<uidb64>/<token>/", views.SetPasswordView.as_view(), name="set_password"),
    path("register/", views.register, name="register"),
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("cart/", views.cart_view, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("cart/update/", views.cart_update, name="cart_update"),
    path("cart/count.json", views.cart_count, name="cart_count"),
    path("cart/to-list/", views.cart_to_list, name="cart_to_list"),
    path("checkout/", views.checkout, name="checkout"),
    path("quick-order/", views.quick_order, name="quick_order"),
    path("quick-order/skus.json", views.sku_suggest, name="sku_suggest"),
    path("quick-order/upload/", views.upload_view, name="upload"),
    path("quick-order/upload/confirm/", views.upload_confirm, name="upload_confirm"),
    path("orders/<str:number>/reorder/", views.reorder, name="reorder"),
    path("account/", views.account, name="account"),
    path("account/orders/", views.orders, name="orders"),
    path("account/orders/<str:number>/", views.order_detail, name="order"),
    path("account/documents/<int:pk>.pdf", views.document_pdf, name="document"),
    path("account/approvals/", views.approvals, name="approvals"),
    path("approval/<str:token>/", views.approval_link, name="approval"),
    path("account/lists/", views.lists_index, name="lists"),
    path("account/lists/<int:pk>/", views.list_detail, name="list"),
    path("account/users/", views.users, name="users"),
    path("account/users/<int:pk>/", views.user_edit, name="user_edit"),
    path("account/addresses/", views.addresses, name="addresses"),
    path("account/addresses/new/", views.address_edit, name="address_new"),
    path("account/addresses/<int:pk>/", views.address_edit, name="address_edit"),
    path("account/api-tokens/", api_views.tokens, name="api_tokens"),
]

urlpatterns = [
    path("shop/api/", api.urls),
    path("shop/", include((shop_patterns, app_name), namespace=app_name)),
]
