"""What the checkout plugin stores.

* Company accounts: :class:`CompanyMember` (a user of a company and their role and
  budget), :class:`CompanyRegistration` (self-registration, approved by staff),
  :class:`Invitation`, :class:`Address`.
* Buying: :class:`Cart` and :class:`CartLine` (a visitor's or a buyer's), and
  :class:`OrderList` / :class:`OrderListLine` (requisition lists a company shares).
* Orders: :class:`Order`, :class:`OrderLine`, the stock each line holds
  (:class:`StockReservation`), the order's timeline (:class:`OrderEvent`), and
  :class:`NumberSequence`, the gap-free counters of order (and later invoice) numbers.

The company itself is the host's :class:`magpie.people.models.Company`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# -- company accounts -----------------------------------------------------------------------


class Role(models.TextChoices):
    """What a company user may do."""

    ADMIN = "admin", _("Company admin (users, addresses, budgets; orders)")
    BUYER = "buyer", _("Buyer (orders)")
    REQUESTER = "requester", _("Requester (orders need approval over budget)")
    APPROVER = "approver", _("Approver (approves requesters' orders; orders)")


class CompanyMember(models.Model):
    """A user who buys for a company, with a role and, for requesters, a budget."""

    wagtail_reference_index_ignore = True

    company = models.ForeignKey(
        "magpie_people.Company",
        on_delete=models.CASCADE,
        related_name="members",
        verbose_name=_("company"),
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="company_membership",
        verbose_name=_("user"),
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.BUYER)
    order_limit = models.DecimalField(
        _("approval needed above (net, per order)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    monthly_budget = models.DecimalField(
        _("monthly budget (net)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("company user")
        verbose_name_plural = _("company users")
        ordering = ["company", "user"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company} ({self.get_role_display()})"


#: What a company gives when it registers (the shop's form, the staff's edit view).
REGISTRATION_FIELDS = [
    "company_name",
    "vat_id",
    "street",
    "postal_code",
    "city",
    "country",
    "currency",
    "first_name",
    "last_name",
    "email",
    "phone",
]


class CompanyRegistration(models.Model):
    """A company's request for an account; staff approve or reject it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    company_name = models.CharField(_("company"), max_length=200)
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    country = models.CharField(_("country"), max_length=2)
    currency = models.CharField(_("currency"), max_length=3)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    company = models.ForeignKey(
        "magpie_people.Company",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("company"),
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )

    class Meta:
        verbose_name = _("company registration")
        verbose_name_plural = _("company registrations")
        ordering = ["status", "-created_at"]

    def __str__(self) -> str:
        return self.company_name


class Invitation(models.Model):
    """An invitation to join a company as a user with a role (sent by staff or its admin)."""

    company = models.ForeignKey(
        "magpie_people.Company",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("company"),
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.BUYER)
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("invited by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.company}"


class Address(models.Model):
    """A billing or shipping address of a company."""

    class Kind(models.TextChoices):
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Shipping")

    company = models.ForeignKey(
        "magpie_people.Company",
        on_delete=models.CASCADE,
        related_name="addresses",
        verbose_name=_("company"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    label = models.CharField(_("label"), max_length=100, blank=True)
    company_name = models.CharField(_("company"), max_length=200)
    name = models.CharField(_("attention of"), max_length=200, blank=True)
    street = models.CharField(_("street"), max_length=200)
    street2 = models.CharField(_("street (2)"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20)
    city = models.CharField(_("city"), max_length=100)
    country = models.CharField(_("country"), max_length=2, help_text="ISO 3166-1")
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["company", "kind", "-is_default", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "kind"],
                condition=Q(is_default=True),
                name="checkout_one_default_address_per_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.company_name}, {self.street}, {self.postal_code} {self.city}"

    #: What an order copies of an address (:meth:`as_dict`).
    COPIED_FIELDS = ("company_name", "name", "street", "street2", "postal_code", "city", "country")

    def as_dict(self) -> dict[str, str]:
        """The address as the order keeps it (a copy: later edits do not change orders)."""
        return {name: getattr(self, name) for name in self.COPIED_FIELDS}


# -- buying ---------------------------------------------------------------------------------


class Cart(models.Model):
    """A cart: a visitor's (by session) or a logged-in buyer's (merged at login)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="+", verbose_name=_("site")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="carts",
        verbose_name=_("user"),
    )
    company = models.ForeignKey(
        "magpie_people.Company",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("company"),
    )
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")
        constraints = [
            models.UniqueConstraint(
                fields=["site", "user"],
                condition=Q(user__isnull=False),
                name="checkout_one_cart_per_user_and_site",
            )
        ]


class LineProduct(models.Model):
    """A product (or variant) and a quantity: what cart lines and list lines share."""

    product = models.ForeignKey(
        "magpie_catalog.Product",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("product"),
    )
    variant = models.ForeignKey(
        "magpie_catalog.Variant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("variant"),
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    class Meta:
        abstract = True


class CartLine(LineProduct):
    """A line of a cart; one per product (or variant)."""

    wagtail_reference_index_ignore = True

    cart = models.ForeignKey(Cart, on_delete=models.CASCADE, related_name="lines")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("cart line")
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cart", "product"],
                condition=Q(variant__isnull=True),
                name="checkout_cart_line_product_once",
            ),
            models.UniqueConstraint(
                fields=["cart", "variant"],
                condition=Q(variant__isnull=False),
                name="checkout_cart_line_variant_once",
            ),
        ]


class OrderList(models.Model):
    """A requisition list: products a company orders again and again, shared by its users."""

    company = models.ForeignKey(
        "magpie_people.Company",
        on_delete=models.CASCADE,
        related_name="order_lists",
        verbose_name=_("company"),
    )
    name = models.CharField(_("name"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order list")
        verbose_name_plural = _("order lists")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class OrderListLine(LineProduct):
    """A line of an order list."""

    order_list = models.ForeignKey(OrderList, on_delete=models.CASCADE, related_name="lines")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("order list line")
        ordering = ["pk"]


# -- orders ---------------------------------------------------------------------------------


class NumberSequence(models.Model):
    """A gap-free counter (``order-2026`` → 123): taken with the row locked in the
    transaction that uses the number, so a rolled-back order leaves no gap."""

    key = models.CharField(max_length=40, primary_key=True)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number sequence")


class OrderState(models.TextChoices):
    """An order's life: approval, placement, fulfilment, billing; or cancelled/returned."""

    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    PLACED = "placed", _("Placed")
    CONFIRMED = "confirmed", _("Confirmed")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    INVOICED = "invoiced", _("Invoiced")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    RETURNED = "returned", _("Returned")
    REJECTED = "rejected", _("Rejected by the approver")


class Channel(models.TextChoices):
    """How an order arrived."""

    WEB = "web", _("Web shop")
    PHONE = "phone", _("Phone (entered by staff)")
    API = "api", _("API")
    UPLOAD = "upload", _("File upload")


class Order(models.Model):
    """An order of a company: its lines, prices and tax as placed, and its state."""

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site")
    )
    number = models.CharField(_("number"), max_length=20, unique=True)
    company = models.ForeignKey(
        "magpie_people.Company",
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("company"),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="placed_orders",
        verbose_name=_("placed by"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by (staff)"),
    )
    contact = models.ForeignKey(
        "magpie_people.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
        verbose_name=_("contact"),
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    state = models.CharField(
        _("state"), max_length=20, choices=OrderState.choices, default=OrderState.PLACED
    )
    currency = models.CharField(_("currency"), max_length=3)
    net_total = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    tax_total = models.DecimalField(_("tax"), max_digits=14, decimal_places=2)
    gross_total = models.DecimalField(_("gross"), max_digits=14, decimal_places=2)
    tax_country = models.CharField(_("tax country"), max_length=2)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    shipping_method = models.CharField(_("shipping"), max_length=40, blank=True)
    shipping_net = models.DecimalField(
        _("shipping (net)"), max_digits=12, decimal_places=2, default=0
    )
    payment_method = models.CharField(_("payment"), max_length=40, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=40, blank=True)
    po_number = models.CharField(_("PO number"), max_length=60, blank=True)
    requested_delivery_date = models.DateField(_("requested delivery"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    billing_address = models.JSONField(_("billing address"), default=dict)
    shipping_address = models.JSONField(_("shipping address"), default=dict)
    idempotency_key = models.CharField(max_length=64)
    terms_accepted_at = models.DateTimeField(_("terms accepted"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    decided_at = models.DateTimeField(_("approval decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-pk"]
        permissions = [
            ("enter_order", _("Can enter phone and upload orders for a company")),
            ("fulfil_order", _("Can confirm, ship and cancel orders")),
            ("bill_order", _("Can issue invoices, credit notes and register returns")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["company", "idempotency_key"], name="checkout_order_once_per_key"
            )
        ]
        indexes = [
            models.Index(fields=["company", "-created_at"], name="checkout_order_company"),
            models.Index(fields=["state", "-created_at"], name="checkout_order_state"),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(models.Model):
    """A line as ordered: the product's number and name then, quantity, net price, tax."""

    wagtail_reference_index_ignore = True

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveIntegerField(_("position"))
    product = models.ForeignKey(
        "magpie_catalog.Product",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("product"),
    )
    variant = models.ForeignKey(
        "magpie_catalog.Variant",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("variant"),
    )
    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_net = models.DecimalField(_("unit price (net)"), max_digits=12, decimal_places=4)
    line_net = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    price_list = models.CharField(_("price list"), max_length=100, blank=True)
    shipped_quantity = models.PositiveIntegerField(_("shipped"), default=0)
    returned_quantity = models.PositiveIntegerField(_("returned"), default=0)

    class Meta:
        verbose_name = _("order line")
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="checkout_line_position"),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=models.F("quantity")),
                name="checkout_line_shipped_within_quantity",
            ),
            models.CheckConstraint(
                condition=Q(returned_quantity__lte=models.F("shipped_quantity")),
                name="checkout_line_returned_within_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class StockReservation(models.Model):
    """Units of a stock row held for an order line (released when the order is cancelled)."""

    wagtail_reference_index_ignore = True

    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="reservations")
    stock_level = models.ForeignKey(
        "magpie_catalog.StockLevel", on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField()
    released = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("stock reservation")


class OrderEvent(models.Model):
    """An entry on an order's timeline: a state change, an email, a note, a shipment."""

    wagtail_reference_index_ignore = True

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("kind"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20, blank=True)
    to_state = models.CharField(_("to"), max_length=20, blank=True)
    message = models.CharField(_("message"), max_length=500, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order timeline")
        ordering = ["created_at", "pk"]


class CompanyTerms(models.Model):
    """A company's payment terms: whether it may buy on invoice, and up to which amount of
    open orders (its credit limit, in the company's currency)."""

    company = models.OneToOneField(
        "magpie_people.Company",
        on_delete=models.CASCADE,
        related_name="checkout_terms",
        verbose_name=_("company"),
    )
    invoice_allowed = models.BooleanField(_("may pay on invoice"), default=True)
    credit_limit = models.DecimalField(
        _("credit limit (gross, open orders)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_("Empty: no invoice payment."),
    )
    payment_terms_days = models.PositiveIntegerField(_("payment terms (days)"), default=30)

    class Meta:
        verbose_name = _("payment terms")
        verbose_name_plural = _("payment terms")

    def __str__(self) -> str:
        return f"{self.company}: {self.credit_limit}"


# -- fulfilment and billing (order management) ----------------------------------------------


class Shipment(models.Model):
    """A parcel sent for an order: the lines and quantities in it, carrier and tracking."""

    wagtail_reference_index_ignore = True

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments")
    carrier = models.CharField(_("carrier"), max_length=60, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=100, blank=True)
    tracking_url = models.URLField(_("tracking link"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("shipped"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order} / {self.tracking_number or self.pk}"


class ShipmentLine(models.Model):
    """Units of one order line in a shipment."""

    wagtail_reference_index_ignore = True

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("shipment line")


class Document(models.Model):
    """An invoice or a credit note: numbered without gaps per kind and year
    (``R-2026-000001``, ``G-2026-000001``), its amounts and lines frozen when issued."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    wagtail_reference_index_ignore = True

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    number = models.CharField(_("number"), max_length=24, unique=True)
    currency = models.CharField(_("currency"), max_length=3)
    net_total = models.DecimalField(_("net"), max_digits=14, decimal_places=2)
    tax_total = models.DecimalField(_("tax"), max_digits=14, decimal_places=2)
    gross_total = models.DecimalField(_("gross"), max_digits=14, decimal_places=2)
    #: Lines, addresses, rates and terms as issued (the PDF is rendered from this).
    data = models.JSONField(default=dict)
    issued_at = models.DateTimeField(_("issued"), auto_now_add=True)
    due_date = models.DateField(_("due"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )

    class Meta:
        verbose_name = _("invoice or credit note")
        verbose_name_plural = _("invoices and credit notes")
        ordering = ["issued_at", "pk"]

    def __str__(self) -> str:
        return self.number


class Return(models.Model):
    """Goods a company sends back: the lines and quantities, why, whether they go back into
    stock, and the credit note issued for them."""

    wagtail_reference_index_ignore = True

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="returns")
    reason = models.CharField(_("reason"), max_length=300)
    restock = models.BooleanField(_("back into stock"), default=True)
    credit_note = models.OneToOneField(
        Document,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="return_of",
        verbose_name=_("credit note"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["created_at", "pk"]


class ReturnLine(models.Model):
    """Units of one order line sent back."""

    wagtail_reference_index_ignore = True

    ret = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="+")
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("return line")


class ApiToken(models.Model):
    """A company user's key to the shop API. Only a SHA-256 hash of the key is stored; the
    key is shown once, when it is created. Acts as its user, for the user's company."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="magpie_api_tokens",
        verbose_name=_("user"),
    )
    company = models.ForeignKey(
        "magpie_people.Company",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("company"),
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key starts with"), max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
