"""The shop's pages under ``/shop/``: registration, invitations, cart, quick order, upload,
order lists, reorder, the checkout, the account area (orders, invoices, approvals) and the
approval links of the approval email (see docs/checkout-flow.md).

Every page here is per visitor: it is kept out of the page cache
(:func:`magpie.pagecache.never_cache_page`) and sent with ``Cache-Control: private,
no-store``. Account pages need an active company membership; a company's lists, orders,
users and addresses are looked up with the visitor's company in the query, so another
company's ids answer 404. POSTs carry a CSRF token, except "Add to cart" on the cached
product page, which checks the request's origin instead (as the host's consent form does).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from magpie.pagecache import never_cache_page
from magpie_checkout import accounts, approval, oms, placement, quickorder, upload
from magpie_checkout import cart as carts
from magpie_checkout import lists as order_lists
from magpie_checkout.checkout_forms import CheckoutForm, DecisionForm, new_key, rate_text
from magpie_checkout.checkout_forms import summary as checkout_summary
from magpie_checkout.forms import (
    AddressForm,
    InviteForm,
    ListNameForm,
    MemberForm,
    NewUserForm,
    RegistrationForm,
    UploadForm,
)
from magpie_checkout.models import Address, CompanyMember, Document, Order, OrderState

# -- helpers --------------------------------------------------------------------------------


def _respond(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    never_cache_page(request)
    add_never_cache_headers(response)
    response["Cache-Control"] = "private, no-store, max-age=0"
    carts.remember_cart(request, response)
    if getattr(request, "_checkout_forget_cookie", False):
        response.delete_cookie(carts.COOKIE)
    return response


def _render(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    context = dict(context or {})
    context.setdefault("member", accounts.member_of_request(request))
    return _respond(request, render(request, template, context, status=status))


def _redirect(request: HttpRequest, to: str, *args: Any) -> HttpResponse:
    return _respond(request, redirect(to, *args))


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def member_required(
    admin: bool = False,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Views for company users: log in first; no active membership (or, with ``admin``,
    not a company admin) answers 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            never_cache_page(request)
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("magpie_checkout:login"))
            member = accounts.member_of_request(request)
            if member is None:
                raise PermissionDenied(_("Your user does not buy for a company."))
            if admin and not accounts.can_manage_users(member):
                raise PermissionDenied(_("Only company admins may do this."))
            request.member = member
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


# -- login, registration, invitations ------------------------------------------------------


class LoginView(auth_views.LoginView):
    """The buyers' login (the cart is merged by the ``user_logged_in`` signal)."""

    template_name = "magpie_checkout/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("magpie_checkout:account")

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return _respond(request, super().dispatch(request, *args, **kwargs))


class LogoutView(auth_views.LogoutView):
    """Log out (POST)."""

    next_page = "/"


class SetPasswordView(auth_views.PasswordResetConfirmView):
    """Set a password from the link of the approval email."""

    template_name = "magpie_checkout/set_password.html"
    success_url = reverse_lazy("magpie_checkout:login")

    def form_valid(self, form: Any) -> HttpResponse:
        messages.success(self.request, _("Your password is set. Log in now."))
        return super().form_valid(form)

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponse:
        return _respond(self.request, super().dispatch(*args, **kwargs))


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """``/shop/register/``: a company asks for an account; staff approve it."""
    from wagtail.models import Site

    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        registration = form.save(commit=False)
        registration.site = Site.find_for_request(request) or Site.objects.get(is_default_site=True)
        registration.save()
        return _render(
            request, "magpie_checkout/register_done.html", {"registration": registration}
        )
    return _render(request, "magpie_checkout/register.html", {"form": form})


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """``/shop/invitation/<token>/``: accept as the logged-in user or as a new user."""
    from django.contrib.auth import login

    try:
        invite = accounts.open_invitation(token)
    except accounts.AccountError as exc:
        return _render(
            request, "magpie_checkout/invitation.html", {"error": exc.messages[0]}, status=410
        )
    form = NewUserForm(request.POST or None) if not request.user.is_authenticated else None
    error = None
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                accounts.accept_invitation(token, request.user)
            elif form is not None and form.is_valid():
                member = accounts.accept_invitation(token, dict(form.cleaned_data))
                login(request, member.user, backend="django.contrib.auth.backends.ModelBackend")
            else:
                raise accounts.AccountError(_("Correct the fields marked below."))
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request, _("Welcome to %(company)s.") % {"company": invite.company.name}
            )
            return _redirect(request, "magpie_checkout:account")
    return _render(
        request,
        "magpie_checkout/invitation.html",
        {"invitation": invite, "form": form, "error": error},
    )


# -- cart -----------------------------------------------------------------------------------


def _cart_context(request: HttpRequest, cart: Any) -> dict[str, Any]:
    if cart is None:
        return {"cart": None, "lines": [], "total": None, "missing": False}
    lines, total, missing = carts.priced_lines(cart, request)
    return {"cart": cart, "lines": lines, "total": total, "missing": missing}


@require_GET
def cart_view(request: HttpRequest) -> HttpResponse:
    """``/shop/cart/``: lines with prices, quantities to change, the net total."""
    cart = carts.get_cart(request)
    context = _cart_context(request, cart)
    if accounts.member_of_request(request):
        context["order_lists"] = order_lists.lists_of(accounts.company_of_request(request))
    return _render(request, "magpie_checkout/cart.html", context)


@csrf_exempt  # the form sits on cached product pages: the origin is checked instead
@require_POST
def cart_add(request: HttpRequest) -> HttpResponse:
    """``POST /shop/cart/add/`` with ``sku`` (product), optional ``variant`` (variant SKU)
    and ``quantity``; redirects to the cart (or answers JSON to a script)."""
    from magpie.people.views import same_origin
    from magpie_catalog.models import Product, Variant

    if not same_origin(request):
        return HttpResponse(_("Cross-site request refused."), status=403)
    wants_json = "application/json" in request.headers.get("Accept", "")
    product = Product.objects.filter(sku=request.POST.get("sku", "")).first()
    variant = None
    variant_sku = request.POST.get("variant", "").strip()
    if variant_sku:
        variant = Variant.objects.filter(sku=variant_sku).first()
    try:
        if product is None or (variant_sku and variant is None):
            raise carts.CartError(_("This product cannot be ordered."))
        carts.parse_quantity(request.POST.get("quantity", "1"))
        carts.check_product(product, variant)
        cart = carts.get_cart(request, create=True)
        with transaction.atomic():
            line = carts.add(cart, product, variant, request.POST.get("quantity", "1"))
    except carts.CartError as exc:
        if wants_json:
            return _respond(request, JsonResponse({"error": str(exc)}, status=400))
        messages.error(request, str(exc))
        return _redirect(request, _safe_next(request, reverse("magpie_checkout:cart")))
    quantity = carts.parse_quantity(request.POST.get("quantity", "1"))
    carts.record_cart_add(request, cart, product, variant, quantity)
    if wants_json:
        return _respond(request, JsonResponse({"count": carts.line_count(cart), "line": line.pk}))
    messages.success(
        request,
        _("%(quantity)d × %(sku)s added to the cart.")
        % {"quantity": quantity, "sku": variant.sku if variant else product.sku},
    )
    return _redirect(request, "magpie_checkout:cart")


@require_POST
def cart_update(request: HttpRequest) -> HttpResponse:
    """``POST /shop/cart/update/``: ``remove=<line>``, or ``quantity-<line>`` for each line
    (all changed at once, or nothing when one is invalid)."""
    cart = carts.get_cart(request)
    if cart is None:
        return _redirect(request, "magpie_checkout:cart")
    try:
        with transaction.atomic():
            if request.POST.get("remove"):
                carts.remove(cart, request.POST["remove"])
                messages.success(request, _("The line was removed."))
            else:
                for key, value in request.POST.items():
                    if key.startswith("quantity-"):
                        carts.set_quantity(cart, key.removeprefix("quantity-"), value)
                messages.success(request, _("The cart was updated."))
    except carts.CartError as exc:
        messages.error(request, str(exc))
    return _redirect(request, "magpie_checkout:cart")


@require_GET
def cart_count(request: HttpRequest) -> HttpResponse:
    """``/shop/cart/count.json``: ``{"count": lines}`` for the header badge (never cached)."""
    return _respond(request, JsonResponse({"count": carts.line_count(carts.get_cart(request))}))


#: The session key that remembers which cart contents ``checkout_started`` was recorded for.
STARTED_SESSION_KEY = "magpie_checkout_started"


def _cart_signature(cart: Any) -> str:
    """A digest of the cart's lines (ids and quantities): a new checkout once they change."""
    import hashlib

    rows = cart.lines.order_by("pk").values_list("pk", "quantity")
    text = f"{cart.pk}:" + ",".join(f"{pk}x{quantity}" for pk, quantity in rows)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _record_start(request: HttpRequest, cart: Any) -> None:
    """``checkout_started`` on the first display of the checkout for these cart contents
    (a reload does not record it again)."""
    signature = _cart_signature(cart)
    if request.session.get(STARTED_SESSION_KEY) == signature:
        return
    placement.start_checkout(cart, request)
    request.session[STARTED_SESSION_KEY] = signature


def _approver_names(order: Order) -> str:
    names = [user.get_full_name() or user.email for user in approval.approvers(order)]
    return ", ".join(names) if names else _("your company's approvers")


def _placed_message(request: HttpRequest, order: Order) -> None:
    if order.state == OrderState.AWAITING_APPROVAL:
        messages.info(
            request,
            _("Thank you, your order %(number)s awaits approval by %(approvers)s.")
            % {"number": order.number, "approvers": _approver_names(order)},
        )
    else:
        messages.success(
            request, _("Thank you, your order %(number)s was placed.") % {"number": order.number}
        )


@member_required()
@require_http_methods(["GET", "POST"])
def checkout(request: HttpRequest) -> HttpResponse:
    """``/shop/checkout/``: addresses, shipping, payment, PO number, delivery date, note,
    terms and the totals; POST places the order (:func:`placement.place_order`) and
    redirects to its page. POST ``update`` only recomputes the totals for the choices."""
    member = request.member
    if not accounts.can_order(member):
        raise PermissionDenied(_("You may not place orders."))
    company = member.company
    form = None
    wanted: dict[str, Any] = {}
    if request.method == "POST":
        cart = carts.get_cart(request, create=True)
        wanted = request.POST.dict()
        if "update" in request.POST:
            initial = {name: request.POST.get(name, "") for name in CheckoutForm.base_fields}
            initial["terms_accepted"] = bool(request.POST.get("terms_accepted"))
            form = CheckoutForm(initial=initial)
        else:
            form = CheckoutForm(request.POST)
            if form.is_valid():
                # place_order answers a double submit (the same key) with the first order,
                # even once the cart is empty: nothing may be checked before it.
                try:
                    order = placement.place_order(
                        cart, user=request.user, request=request, **form.place_kwargs()
                    )
                except placement.OrderError as exc:
                    for message in exc.messages:
                        form.add_error(None, message)
                else:
                    _placed_message(request, order)
                    return _redirect(request, "magpie_checkout:order", order.number)
    else:
        cart = carts.get_cart(request)
    if cart is None or not cart.lines.exists():
        messages.error(request, _("Your cart is empty."))
        return _redirect(request, "magpie_checkout:cart")
    info = checkout_summary(cart, company, request, wanted)
    if form is None:
        form = CheckoutForm(initial=info.selected)
    if request.method == "GET":
        _record_start(request, cart)
    return _render(
        request,
        "magpie_checkout/checkout.html",
        {
            "form": form,
            "summary": info,
            "cart": cart,
            "company": company,
            "idempotency_key": new_key(),
            "can_manage": accounts.can_manage_users(member),
            "terms_url": getattr(settings, "MAGPIE_CHECKOUT_TERMS_URL", ""),
            "today": timezone.localdate(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# -- quick order and upload -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def quick_order(request: HttpRequest) -> HttpResponse:
    """``/shop/quick-order/``: SKU and quantity rows, all added at once or none."""
    try:
        count = int(request.POST.get("rows") or request.GET.get("rows") or quickorder.START_ROWS)
    except ValueError:
        count = quickorder.START_ROWS
    if "more" in request.POST:
        count += quickorder.START_ROWS
    count = max(quickorder.START_ROWS, min(count, quickorder.MAX_ROWS))
    report = None
    if request.method == "POST" and "more" not in request.POST:
        report = quickorder.check_rows(quickorder.rows_from_post(request.POST))
        try:
            cart = carts.get_cart(request, create=bool(report.all_valid))
            if cart is None:
                raise carts.CartError(
                    _("Nothing was added: correct the rows marked as errors.")
                    if report.rows
                    else _("Enter at least one article number and quantity.")
                )
            added = quickorder.add_all(cart, report)
        except carts.CartError as exc:
            messages.error(request, str(exc))
        else:
            carts.record_touchpoint(request, "quick_order", data={"rows": added, "source": "form"})
            messages.success(request, _added(added))
            return _redirect(request, "magpie_checkout:cart")
    values = []
    by_number = {row.number: row for row in report.rows} if report else {}
    for index in range(count):
        values.append(
            {
                "index": index,
                "sku": request.POST.get(f"sku-{index}", ""),
                "quantity": request.POST.get(f"quantity-{index}", ""),
                "result": by_number.get(index + 1),
            }
        )
    return _render(
        request,
        "magpie_checkout/quick_order.html",
        {"rows": values, "row_count": count, "report": report, "max_rows": quickorder.MAX_ROWS},
    )


@require_GET
def sku_suggest(request: HttpRequest) -> HttpResponse:
    """``/shop/quick-order/skus.json?q=``: up to 10 active products by SKU prefix."""
    return _respond(
        request, JsonResponse({"products": quickorder.suggest(request.GET.get("q", ""))})
    )


@require_http_methods(["GET", "POST"])
def upload_view(request: HttpRequest) -> HttpResponse:
    """``/shop/quick-order/upload/``: read the file, show the report, nothing added yet."""
    form = UploadForm(request.POST or None, request.FILES or None)
    report, token, error = None, None, None
    if request.method == "POST":
        if form.is_valid():
            try:
                rows = upload.read_upload(form.cleaned_data["file"])
            except upload.UploadError as exc:
                error = str(exc)
            else:
                report = quickorder.check_rows(rows)
                token = upload.sign_rows(rows) if report.valid else None
        else:
            error = " ".join(form.errors.get("file", [])) or _("Choose a CSV or Excel file.")
    return _render(
        request,
        "magpie_checkout/upload.html",
        {"form": form, "report": report, "token": token, "error": error},
        status=400 if error else 200,
    )


@require_POST
def upload_confirm(request: HttpRequest) -> HttpResponse:
    """``POST /shop/quick-order/upload/confirm/``: add the valid rows of the checked upload."""
    try:
        rows = upload.unsign_rows(request.POST.get("token", ""))
        report = quickorder.check_rows(rows)
        cart = carts.get_cart(request, create=True)
        added = quickorder.add_valid(cart, report)
    except (upload.UploadError, carts.CartError) as exc:
        messages.error(request, str(exc))
        return _redirect(request, "magpie_checkout:upload")
    carts.record_touchpoint(request, "quick_order", data={"rows": added, "source": "upload"})
    messages.success(request, _added(added))
    return _redirect(request, "magpie_checkout:cart")


# -- account area ---------------------------------------------------------------------------


@member_required()
@require_GET
def account(request: HttpRequest) -> HttpResponse:
    """``/shop/account/``: the company, the user's role and links."""
    company = request.member.company
    return _render(
        request,
        "magpie_checkout/account/dashboard.html",
        {
            "company": company,
            "recent_orders": Order.objects.filter(company=company)[:5],
            "can_manage": accounts.can_manage_users(request.member),
        },
    )


@member_required()
@require_GET
def orders(request: HttpRequest) -> HttpResponse:
    """``/shop/account/orders/``: the company's orders, newest first."""
    rows = Order.objects.filter(company=request.member.company).order_by("-created_at", "-pk")
    return _render(request, "magpie_checkout/account/orders.html", {"orders": rows[:200]})


def shipping_label(code: str) -> str:
    """The name of a shipping method code as the first-party methods call it (other
    plugins' codes are shown as they are)."""
    labels = {
        "flat_rate": _("Standard delivery"),
        "weight": _("Delivery by weight"),
        "pickup": _("Pickup"),
    }
    return labels.get(code, code)


def payment_label(code: str) -> str:
    """The name of a payment method code (first-party; others as they are)."""
    labels = {
        "invoice": _("Invoice (on account)"),
        "prepayment": _("Prepayment by bank transfer"),
    }
    return labels.get(code, code)


def _reasons(order: Order) -> str:
    """Why the order waits for approval, or why it was rejected (from its timeline)."""
    kind = {OrderState.AWAITING_APPROVAL: "placed", OrderState.REJECTED: "rejected"}.get(
        order.state
    )
    if kind is None:
        return ""
    event = order.events.filter(kind=kind).order_by("-created_at", "-pk").first()
    return event.message if event else ""


def _order_of_company(request: HttpRequest, number: str) -> Order:
    return get_object_or_404(
        Order.objects.select_related("placed_by", "approved_by"),
        company=request.member.company,
        number=number,
    )


@member_required()
@require_GET
def order_detail(request: HttpRequest, number: str) -> HttpResponse:
    """``/shop/account/orders/<number>/``: the order (also the confirmation after placing):
    state, lines, totals, addresses, shipping and payment, shipments, invoices and credit
    notes, reorder, and approve/reject for those who may decide."""
    from magpie_checkout.payment import format_rf

    order = _order_of_company(request, number)
    shipments = list(order.shipments.prefetch_related("lines__order_line"))
    awaiting = order.state == OrderState.AWAITING_APPROVAL
    return _render(
        request,
        "magpie_checkout/order_detail.html",
        {
            "order": order,
            "lines": order.lines.order_by("position"),
            "shipments": shipments,
            "documents": order.documents.order_by("issued_at", "pk"),
            "shipping_label": shipping_label(order.shipping_method),
            "payment_label": payment_label(order.payment_method),
            "payment_reference": format_rf(order.payment_reference)
            if order.payment_reference
            else "",
            "seller": oms.seller() if order.payment_method == "prepayment" else None,
            "vat_rate": rate_text(order.vat_rate),
            "reasons": _reasons(order),
            "can_decide": awaiting and approval.can_decide(order, request.user),
            "approvers": _approver_names(order) if awaiting else "",
        },
    )


@member_required()
@require_GET
def document_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """``/shop/account/documents/<id>.pdf``: an invoice or credit note of the company's
    orders as a PDF attachment."""
    from django.utils.http import content_disposition_header

    from magpie_checkout import documents

    document = get_object_or_404(
        Document.objects.select_related("order"), pk=pk, order__company=request.member.company
    )
    response = HttpResponse(documents.render_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, documents.filename(document))
    return _respond(request, response)


# -- approval -------------------------------------------------------------------------------


def _link_status(token: str) -> int:
    """410 for a genuine link that no longer works (expired, its order or user gone), 400
    for a forged or malformed one."""
    from django.core import signing

    try:
        data = signing.loads(token, salt=approval.SALT)
    except signing.BadSignature:
        return 400
    return 410 if isinstance(data, dict) and data.get("a") in approval.ACTIONS else 400


def _approval_error(request: HttpRequest, message: str, status: int, order: Any = None):
    return _render(
        request,
        "magpie_checkout/approval_error.html",
        {"error": message, "order": order},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def approval_link(request: HttpRequest, token: str) -> HttpResponse:
    """``/shop/approval/<token>/``: the link of the approval email. GET shows the order
    and a button (mail scanners open links: GET never decides); POST approves or rejects
    (the link's action) as the approver the link was sent to — or, for a link naming no
    one, as the logged-in user."""
    never_cache_page(request)
    try:
        link = approval.check_approval_token(token)
    except approval.ApprovalError as exc:
        return _approval_error(request, str(exc), _link_status(token))
    user = link.user
    if user is None:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("magpie_checkout:login"))
        user = request.user
    order = link.order
    if order.state != OrderState.AWAITING_APPROVAL:
        return _approval_error(
            request,
            _("Order %(number)s is not awaiting approval any more (it is %(state)s).")
            % {"number": order.number, "state": order.get_state_display()},
            410,
            order,
        )
    if not approval.can_decide(order, user):
        return _approval_error(
            request, _("You may not approve or reject orders of this company."), 403
        )
    form = DecisionForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            if link.action == "approve":
                decided = approval.approve(order, user)
            else:
                decided = approval.reject(order, user, form.cleaned_data["reason"])
        except approval.ApprovalError as exc:
            return _approval_error(request, str(exc), 410, order)
        return _render(
            request,
            "magpie_checkout/approval_done.html",
            {"order": decided, "action": link.action, "approver": user},
        )
    return _render(
        request,
        "magpie_checkout/approval.html",
        {
            "order": order,
            "lines": order.lines.order_by("position"),
            "action": link.action,
            "approver": user,
            "requester": order.placed_by,
            "reasons": _reasons(order),
            "form": form,
        },
    )


@member_required()
@require_http_methods(["GET", "POST"])
def approvals(request: HttpRequest) -> HttpResponse:
    """``/shop/account/approvals/``: the company's orders awaiting approval (approvers and
    company admins); POST ``order`` (number), ``action`` (approve/reject), ``reason``."""
    member = request.member
    if not accounts.can_approve(member):
        raise PermissionDenied(_("Only approvers and company admins may approve orders."))
    company = member.company
    if request.method == "POST":
        order = get_object_or_404(Order, company=company, number=request.POST.get("order", ""))
        action = request.POST.get("action", "")
        form = DecisionForm(request.POST)
        if action not in approval.ACTIONS or not form.is_valid():
            messages.error(request, _("Choose to approve or reject the order."))
        elif not approval.can_decide(order, request.user):
            raise PermissionDenied(_("You may not approve or reject orders of this company."))
        else:
            try:
                if action == "approve":
                    approval.approve(order, request.user)
                    messages.success(
                        request, _("Order %(number)s was approved.") % {"number": order.number}
                    )
                else:
                    approval.reject(order, request.user, form.cleaned_data["reason"])
                    messages.success(
                        request, _("Order %(number)s was rejected.") % {"number": order.number}
                    )
            except approval.ApprovalError as exc:
                messages.error(request, str(exc))
        return _redirect(request, _safe_next(request, reverse("magpie_checkout:approvals")))
    waiting = (
        Order.objects.filter(company=company, state=OrderState.AWAITING_APPROVAL)
        .select_related("placed_by", "company")
        .prefetch_related("lines")
        .order_by("created_at", "pk")
    )
    rows = [{"order": order, "reasons": _reasons(order)} for order in waiting[:200]]
    return _render(request, "magpie_checkout/account/approvals.html", {"rows": rows})


@member_required()
@require_http_methods(["GET", "POST"])
def reorder(request: HttpRequest, number: str) -> HttpResponse:
    """``/shop/orders/<number>/reorder/``: GET shows the order's lines, POST adds them."""
    order = order_lists.get_order(request.member.company, number)
    if request.method == "POST":
        cart = carts.get_cart(request, create=True)
        report = order_lists.reorder(order, cart)
        carts.record_touchpoint(
            request, "reorder", data={"order": order.number, "added": len(report.added)}
        )
        return _render(
            request, "magpie_checkout/account/reorder.html", {"order": order, "report": report}
        )
    return _render(
        request,
        "magpie_checkout/account/reorder.html",
        {"order": order, "lines": order.lines.all()},
    )


@member_required()
@require_http_methods(["GET", "POST"])
def lists_index(request: HttpRequest) -> HttpResponse:
    """``/shop/account/lists/``: the company's lists; POST creates one."""
    company = request.member.company
    form = ListNameForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        order_list = order_lists.create_list(company, form.cleaned_data["name"], request.user)
        messages.success(request, _("The list was created."))
        return _redirect(request, "magpie_checkout:list", order_list.pk)
    return _render(
        request,
        "magpie_checkout/account/lists.html",
        {"lists": order_lists.lists_of(company), "form": form},
    )


@member_required()
@require_http_methods(["GET", "POST"])
def list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """``/shop/account/lists/<id>/``: lines; POST ``action`` = rename, delete, add (sku,
    quantity), remove (line), quantities, to_cart."""
    order_list = order_lists.get_list(request.member.company, pk)
    if request.method == "POST":
        removing = request.POST.get("remove_line")
        action = "remove" if removing else request.POST.get("action", "")
        try:
            with transaction.atomic():
                if action == "rename":
                    order_lists.rename_list(order_list, request.POST.get("name", ""))
                    messages.success(request, _("The list was renamed."))
                elif action == "delete":
                    order_lists.delete_list(order_list)
                    messages.success(request, _("The list was deleted."))
                    return _redirect(request, "magpie_checkout:lists")
                elif action == "add":
                    result = quickorder.check_row(
                        1, request.POST.get("sku", ""), request.POST.get("quantity", "")
                    )
                    if not result.ok:
                        raise carts.CartError(f"{result.sku}: {result.message}")
                    order_lists.add_line(
                        order_list, result.product, result.variant, result.quantity
                    )
                    messages.success(request, _("The product was added to the list."))
                elif action == "remove":
                    order_lists.remove_line(order_list, removing or request.POST.get("line"))
                    messages.success(request, _("The line was removed."))
                elif action == "quantities":
                    for key, value in request.POST.items():
                        if key.startswith("quantity-"):
                            order_lists.set_line_quantity(
                                order_list, key.removeprefix("quantity-"), value
                            )
                    messages.success(request, _("The list was updated."))
                elif action == "to_cart":
                    cart = carts.get_cart(request, create=True)
                    report = order_lists.add_list_to_cart(order_list, cart)
                    _copy_messages(request, report)
                    return _redirect(request, "magpie_checkout:cart")
                else:
                    raise carts.CartError(_("Unknown action."))
        except (carts.CartError, order_lists.ListError) as exc:
            messages.error(request, str(exc))
        except (ValueError, TypeError) as exc:
            raise Http404 from exc
        return _redirect(request, "magpie_checkout:list", order_list.pk)
    lines = order_list.lines.select_related("product", "variant")
    return _render(
        request, "magpie_checkout/account/list_detail.html", {"list": order_list, "lines": lines}
    )


def _added(count: int) -> str:
    return ngettext(
        "%(count)d line added to the cart.", "%(count)d lines added to the cart.", count
    ) % {"count": count}


def _copy_messages(request: HttpRequest, report: order_lists.CopyReport) -> None:
    if report.added:
        messages.success(request, _added(len(report.added)))
    for sku, reason in report.skipped:
        messages.warning(
            request, _("%(sku)s not added: %(reason)s") % {"sku": sku, "reason": reason}
        )


@member_required()
@require_POST
def cart_to_list(request: HttpRequest) -> HttpResponse:
    """``POST /shop/cart/to-list/``: copy the cart into one of the company's lists (or a new
    one named ``name``)."""
    company = request.member.company
    cart = carts.get_cart(request)
    if cart is None or not cart.lines.exists():
        messages.error(request, _("Your cart is empty."))
        return _redirect(request, "magpie_checkout:cart")
    try:
        if request.POST.get("list"):
            order_list = order_lists.get_list(company, request.POST["list"])
        else:
            order_list = order_lists.create_list(
                company, request.POST.get("name", ""), request.user
            )
    except order_lists.ListError as exc:
        messages.error(request, str(exc))
        return _redirect(request, "magpie_checkout:cart")
    except ValueError as exc:
        raise Http404 from exc
    count = order_lists.add_cart_to_list(cart, order_list)
    messages.success(
        request,
        ngettext("%(count)d line saved to %(name)s.", "%(count)d lines saved to %(name)s.", count)
        % {"count": count, "name": order_list.name},
    )
    return _redirect(request, "magpie_checkout:list", order_list.pk)


# -- company admin: users and addresses -----------------------------------------------------


@member_required(admin=True)
@require_http_methods(["GET", "POST"])
def users(request: HttpRequest) -> HttpResponse:
    """``/shop/account/users/``: the company's users; POST invites one."""
    company = request.member.company
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            accounts.invite(
                company, form.cleaned_data["email"], form.cleaned_data["role"], request.user
            )
        except ValidationError as exc:
            form.add_error("email", exc.messages[0])
        else:
            messages.success(request, _("The invitation was sent."))
            return _redirect(request, "magpie_checkout:users")
    return _render(
        request,
        "magpie_checkout/account/users.html",
        {
            "members": accounts.company_members(company),
            "invitations": company.invitations.filter(accepted_at__isnull=True),
            "form": form,
        },
    )


@member_required(admin=True)
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """``/shop/account/users/<id>/``: role, budget, active (own company's users only)."""
    member = get_object_or_404(
        CompanyMember.objects.select_related("user"), pk=pk, company=request.member.company
    )
    form = MemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            accounts.update_member(
                request.member,
                CompanyMember.objects.get(pk=member.pk),
                role=data["role"],
                order_limit=data["order_limit"],
                monthly_budget=data["monthly_budget"],
                active=data["active"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            messages.success(request, _("The user was saved."))
            return _redirect(request, "magpie_checkout:users")
    return _render(
        request, "magpie_checkout/account/user_edit.html", {"form": form, "edited": member}
    )


@member_required(admin=True)
@require_GET
def addresses(request: HttpRequest) -> HttpResponse:
    """``/shop/account/addresses/``: the company's billing and shipping addresses."""
    rows = Address.objects.filter(company=request.member.company)
    return _render(request, "magpie_checkout/account/addresses.html", {"addresses": rows})


@member_required(admin=True)
@require_http_methods(["GET", "POST"])
def address_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """``/shop/account/addresses/new/`` and ``…/<id>/``: add or change an address; POST
    ``delete`` removes it."""
    company = request.member.company
    address = get_object_or_404(Address, pk=pk, company=company) if pk else Address(company=company)
    if request.method == "POST" and "delete" in request.POST and address.pk:
        address.delete()
        messages.success(request, _("The address was deleted."))
        return _redirect(request, "magpie_checkout:addresses")
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        make_default = form.cleaned_data["is_default"]
        try:
            with transaction.atomic():
                saved = form.save(commit=False)
                saved.company = company
                saved.is_default = False
                saved.save()
                if make_default:
                    accounts.set_default_address(saved)
        except IntegrityError:
            form.add_error(None, _("The address could not be saved; try again."))
        else:
            messages.success(request, _("The address was saved."))
            return _redirect(request, "magpie_checkout:addresses")
    return _render(
        request, "magpie_checkout/account/address_edit.html", {"form": form, "address": address}
    )
