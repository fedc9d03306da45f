"""Company accounts: roles, registration and its approval or rejection, invitations, and the
company admin's users and addresses."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import RequestFactory
from django.utils import timezone

from magpie.events.models import Event
from magpie.people.models import Company
from magpie_checkout import accounts
from magpie_checkout.models import Address, CompanyMember, CompanyRegistration, Invitation
from tests.checkout.shop_fixtures import client_for, visitor

pytestmark = pytest.mark.django_db

REGISTRATION = {
    "company_name": "Holzbau Meier AG",
    "vat_id": "CHE-123.456.789",
    "street": "Seestrasse 4",
    "postal_code": "8001",
    "city": "Zürich",
    "country": "CH",
    "currency": "CHF",
    "first_name": "Anna",
    "last_name": "Meier",
    "email": "Anna@Holzbau-Meier.example",
    "phone": "",
}


def registration(site: Any, **overrides: Any) -> CompanyRegistration:
    values = {**REGISTRATION, "email": "anna@holzbau-meier.example", **overrides}
    values.pop("phone")
    return CompanyRegistration.objects.create(site=site, **values)


# -- roles ----------------------------------------------------------------------------------


def test_roles_decide_what_a_member_may_do(shop: Any) -> None:
    members = {m.role: m for m in CompanyMember.objects.filter(company=shop.ch.company)}
    assert all(accounts.can_order(m) for m in members.values())
    assert [r for r, m in members.items() if accounts.can_manage_users(m)] == ["admin"]
    assert sorted(r for r, m in members.items() if accounts.can_approve(m)) == [
        "admin",
        "approver",
    ]
    admin = members["admin"]
    admin.active = False
    assert not accounts.can_order(admin) and not accounts.can_manage_users(admin)
    assert not accounts.can_order(None)


def test_the_visitor_company_is_the_members_company_cached_on_the_request(
    shop: Any, django_assert_num_queries: Any
) -> None:
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert accounts.company_of_request(request) is None
    request = RequestFactory().get("/")
    request.user = shop.de.buyer
    assert accounts.company_of_request(request) == shop.de.company
    with django_assert_num_queries(0):
        assert accounts.company_of_request(request) == shop.de.company
    CompanyMember.objects.filter(user=shop.de.buyer).update(active=False)
    request = RequestFactory().get("/")
    request.user = shop.de.buyer
    assert accounts.company_of_request(request) is None


def test_the_host_asks_the_plugin_for_the_visitors_company(shop: Any) -> None:
    from magpie.people import visitor_company

    request = RequestFactory().get("/")
    request.user = shop.ch.approver
    assert visitor_company(request) == shop.ch.company


# -- registration ---------------------------------------------------------------------------


def test_a_company_registers_and_the_page_is_never_cached(shop: Any) -> None:
    client = visitor()
    page = client.get("/shop/register/")
    assert page.status_code == 200 and "csrfmiddlewaretoken" in page.content.decode()
    assert "no-store" in page["Cache-Control"]
    response = client.post("/shop/register/", REGISTRATION)
    assert response.status_code == 200
    assert "We received the registration of Holzbau Meier AG" in response.content.decode()
    saved = CompanyRegistration.objects.get()
    assert saved.status == "pending" and saved.email == "anna@holzbau-meier.example"
    assert saved.vat_id == "CHE-123.456.789"
    assert not Company.objects.filter(name="Holzbau Meier AG").exists()


def test_a_registration_with_bad_input_gets_messages_and_saves_nothing(shop: Any) -> None:
    client = visitor()
    response = client.post(
        "/shop/register/", {**REGISTRATION, "vat_id": "12345", "currency": "USD", "email": "x"}
    )
    html = response.content.decode()
    assert "Enter a VAT ID such as CHE-123.456.789" in html
    assert 'aria-describedby="id_vat_id_error"' in html or "id_vat_id_error" in html
    assert "Select a valid choice" in html
    assert not CompanyRegistration.objects.exists()


def test_registration_needs_a_csrf_token(shop: Any) -> None:
    client = visitor(enforce_csrf_checks=True)
    assert client.post("/shop/register/", REGISTRATION).status_code == 403
    assert not CompanyRegistration.objects.exists()


def test_approval_creates_company_admin_and_address_and_emits_the_event(
    shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
    pending = registration(shop.site)
    with django_capture_on_commit_callbacks(execute=True):
        company = accounts.approve_registration(pending, staff)

    assert (company.name, company.vat_id, company.country, company.currency) == (
        "Holzbau Meier AG",
        "CHE-123.456.789",
        "CH",
        "CHF",
    )
    member = CompanyMember.objects.get(company=company)
    assert member.role == "admin" and member.user.username == "anna@holzbau-meier.example"
    assert not member.user.has_usable_password()
    address = Address.objects.get(company=company)
    assert (address.kind, address.is_default, address.city) == ("billing", True, "Zürich")
    pending.refresh_from_db()
    assert pending.status == "approved" and pending.company == company
    assert pending.decided_by == staff and pending.decided_at is not None
    event = Event.objects.get(type="company.registered")
    assert event.payload["company"] == company.pk and event.site_id == shop.site.pk

    # The email's link lets the new admin set a password and log in.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["anna@holzbau-meier.example"]
    link = re.search(r"http://\S+", mail.outbox[0].body).group(0)
    client = visitor()
    form_page = client.get(link.replace("http://localhost", ""), follow=True)
    assert form_page.status_code == 200 and "new_password1" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Sägemehl-2026!", "new_password2": "Sägemehl-2026!"},
    )
    assert response.status_code == 302
    assert client.login(username="anna@holzbau-meier.example", password="Sägemehl-2026!")
    assert client.get("/shop/account/").status_code == 200


def test_approval_refuses_decided_registrations_bad_vat_ids_and_taken_emails(shop: Any) -> None:
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
    bad_vat = registration(shop.site, vat_id="12-345")
    with pytest.raises(accounts.AccountError, match="not a valid VAT ID"):
        accounts.approve_registration(bad_vat, staff)
    taken = registration(shop.site, email="buyer@alpenwerkag.example", vat_id="")
    with pytest.raises(accounts.AccountError, match="exists already"):
        accounts.approve_registration(taken, staff)
    assert not Company.objects.filter(name="Holzbau Meier AG").exists()
    assert not Event.objects.filter(type="company.registered").exists()
    assert set(CompanyRegistration.objects.values_list("status", flat=True)) == {"pending"}

    ok = registration(shop.site, email="new@holzbau-meier.example")
    accounts.approve_registration(ok, staff)
    with pytest.raises(accounts.AccountError, match="decided already"):
        accounts.approve_registration(ok, staff)
    assert Company.objects.filter(name="Holzbau Meier AG").count() == 1


def test_rejection_needs_a_reason_and_tells_the_registrant(
    shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff = get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")
    pending = registration(shop.site)
    with pytest.raises(accounts.AccountError, match="reason"):
        accounts.reject_registration(pending, staff, "  ")
    with django_capture_on_commit_callbacks(execute=True):
        accounts.reject_registration(pending, staff, "We only sell to the trade.")
    pending.refresh_from_db()
    assert pending.status == "rejected" and pending.reason == "We only sell to the trade."
    assert "We only sell to the trade." in mail.outbox[0].body
    assert not Company.objects.filter(name="Holzbau Meier AG").exists()


# -- invitations ----------------------------------------------------------------------------


def test_an_invited_new_user_joins_with_the_role(
    shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation = accounts.invite(
            shop.ch.company, "Neu@Alpenwerk.example", "requester", shop.ch.admin
        )
    assert invitation.email == "neu@alpenwerk.example"
    days = (invitation.expires_at - timezone.now()).days
    assert days in (13, 14)
    assert f"/shop/invitation/{invitation.token}/" in mail.outbox[0].body

    client = visitor()
    page = client.get(f"/shop/invitation/{invitation.token}/")
    assert "Alpenwerk AG" in page.content.decode()
    weak = client.post(
        f"/shop/invitation/{invitation.token}/",
        {"first_name": "Neu", "last_name": "X", "password": "123"},
    )
    assert (
        weak.status_code == 200
        and not CompanyMember.objects.filter(user__email="neu@alpenwerk.example").exists()
    )
    response = client.post(
        f"/shop/invitation/{invitation.token}/",
        {"first_name": "Neu", "last_name": "Mitarbeiter", "password": "Werkbank-2026!"},
    )
    assert response.status_code == 302 and response["Location"] == "/shop/account/"
    member = CompanyMember.objects.get(user__email="neu@alpenwerk.example")
    assert member.company == shop.ch.company and member.role == "requester"
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert client.get("/shop/account/").status_code == 200
    # Used once only.
    again = visitor().get(f"/shop/invitation/{invitation.token}/")
    assert again.status_code == 410 and "accepted already" in again.content.decode()


def test_an_expired_invitation_or_another_users_email_is_refused(shop: Any) -> None:
    invitation = accounts.invite(shop.de.company, "chef@schrauben.example", "buyer", None)
    outsider = get_user_model().objects.create_user(
        "someone@else.example", "someone@else.example", "pw"
    )
    with pytest.raises(accounts.AccountError, match="log in with that address"):
        accounts.accept_invitation(invitation.token, outsider)
    client = client_for(outsider)
    response = client.post(f"/shop/invitation/{invitation.token}/")
    assert "log in with that address" in response.content.decode()
    assert not CompanyMember.objects.filter(user=outsider).exists()

    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(accounts.AccountError, match="expired"):
        accounts.accept_invitation(invitation.token, {"password": "Werkbank-2026!"})
    page = visitor().get(f"/shop/invitation/{invitation.token}/")
    assert page.status_code == 410 and "expired" in page.content.decode()
    with pytest.raises(accounts.AccountError, match="not valid"):
        accounts.accept_invitation("no-such-token", {"password": "Werkbank-2026!"})


def test_an_existing_user_accepts_with_the_invited_email(shop: Any) -> None:
    user = get_user_model().objects.create_user("lena", "lena@alpenwerk.example", "pw")
    invitation = accounts.invite(shop.ch.company, "lena@alpenwerk.example", "approver", None)
    response = client_for(user).post(f"/shop/invitation/{invitation.token}/")
    assert response.status_code == 302
    assert CompanyMember.objects.get(user=user).role == "approver"


def test_a_company_user_cannot_be_invited_twice(shop: Any) -> None:
    with pytest.raises(accounts.AccountError, match="company user already"):
        accounts.invite(shop.de.company, "buyer@alpenwerkag.example", "buyer", None)


# -- company admin: users and addresses -----------------------------------------------------


def test_the_company_admin_manages_only_their_own_users(
    shop: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(shop.ch.admin)
    page = client.get("/shop/account/users/").content.decode()
    assert "requester@alpenwerkag.example" in page
    assert "schraubengmbh" not in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/shop/account/users/", {"email": "neu@alpenwerk.example", "role": "buyer"}
        )
    assert response.status_code == 302
    assert Invitation.objects.get().company == shop.ch.company
    assert mail.outbox[0].to == ["neu@alpenwerk.example"]

    requester = CompanyMember.objects.get(user=shop.ch.requester)
    response = client.post(
        f"/shop/account/users/{requester.pk}/",
        {"role": "requester", "order_limit": "500.00", "monthly_budget": "2000", "active": "on"},
    )
    assert response.status_code == 302
    requester.refresh_from_db()
    assert str(requester.order_limit) == "500.00" and str(requester.monthly_budget) == "2000.00"

    bad = client.post(
        f"/shop/account/users/{requester.pk}/",
        {"role": "requester", "order_limit": "-5", "active": "on"},
    )
    assert bad.status_code == 200
    requester.refresh_from_db()
    assert str(requester.order_limit) == "500.00"

    me = CompanyMember.objects.get(user=shop.ch.admin)
    response = client.post(f"/shop/account/users/{me.pk}/", {"role": "buyer", "active": "on"})
    assert "cannot remove your own admin role" in response.content.decode()
    assert CompanyMember.objects.get(pk=me.pk).role == "admin"

    deactivate = client.post(f"/shop/account/users/{requester.pk}/", {"role": "requester"})
    assert deactivate.status_code == 302
    assert not CompanyMember.objects.get(pk=requester.pk).active
    assert client_for(shop.ch.requester).get("/shop/account/").status_code == 403


def test_only_admins_reach_users_and_addresses(shop: Any) -> None:
    buyer = client_for(shop.ch.buyer)
    assert buyer.get("/shop/account/users/").status_code == 403
    assert buyer.get("/shop/account/addresses/").status_code == 403
    assert buyer.post("/shop/account/addresses/new/", {}).status_code == 403
    anonymous = visitor().get("/shop/account/users/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/shop/login/")


def test_addresses_are_added_edited_deleted_with_one_default_per_kind(shop: Any) -> None:
    client = client_for(shop.ch.admin)
    data = {
        "kind": "shipping",
        "label": "Lager Bern",
        "company_name": "Alpenwerk AG",
        "name": "Rampe 2",
        "street": "Industrieweg 5",
        "street2": "",
        "postal_code": "3000",
        "city": "Bern",
        "country": "CH",
        "is_default": "on",
    }
    # A company id in the form is ignored: the address is the user's company's.
    response = client.post("/shop/account/addresses/new/", {**data, "company": shop.de.company.pk})
    assert response.status_code == 302
    new = Address.objects.get(label="Lager Bern")
    assert new.company == shop.ch.company and new.is_default
    shipping = Address.objects.filter(company=shop.ch.company, kind="shipping")
    assert list(shipping.filter(is_default=True)) == [new]

    client.post(f"/shop/account/addresses/{new.pk}/", {**data, "city": "Biel", "is_default": ""})
    new.refresh_from_db()
    assert new.city == "Biel" and not new.is_default

    missing = client.post("/shop/account/addresses/new/", {**data, "street": ""})
    assert missing.status_code == 200 and "This field is required." in missing.content.decode()

    client.post(f"/shop/account/addresses/{new.pk}/", {"delete": "1"})
    assert not Address.objects.filter(pk=new.pk).exists()


# -- staff admin (Shop menu) ----------------------------------------------------------------


@pytest.fixture
def superuser() -> Any:
    return get_user_model().objects.create_superuser("staff", "staff@example.com", "pw")


def test_staff_approve_a_registration_in_the_admin(
    shop: Any, superuser: Any, django_capture_on_commit_callbacks: Any
) -> None:
    pending = registration(shop.site)
    client = client_for(superuser)
    listing = client.get("/admin/shop/registrations/").content.decode()
    assert "Holzbau Meier AG" in listing
    assert f"/admin/shop/registrations/{pending.pk}/decide/" in listing
    page = client.get(f"/admin/shop/registrations/{pending.pk}/decide/")
    assert page.status_code == 200 and "CHE-123.456.789" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/shop/registrations/{pending.pk}/decide/", {"approve": "1"})
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == "approved" and pending.decided_by == superuser
    assert CompanyMember.objects.get(company=pending.company).role == "admin"
    # Deciding twice is refused with a message.
    again = client.post(f"/admin/shop/registrations/{pending.pk}/decide/", {"approve": "1"})
    assert again.status_code == 400 and "decided already" in again.content.decode()


def test_staff_reject_with_a_reason(shop: Any, superuser: Any) -> None:
    pending = registration(shop.site)
    client = client_for(superuser)
    url = f"/admin/shop/registrations/{pending.pk}/decide/"
    empty = client.post(url, {"reject": "1", "reason": ""})
    assert empty.status_code == 400
    pending.refresh_from_db()
    assert pending.status == "pending"
    client.post(url, {"reject": "1", "reason": "Private customer."})
    pending.refresh_from_db()
    assert pending.status == "rejected" and pending.reason == "Private customer."


def test_deciding_needs_the_permission(shop: Any) -> None:
    from django.contrib.auth.models import Permission

    editor = get_user_model().objects.create_user("editor", "editor@example.com", "pw")
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    pending = registration(shop.site)
    client = client_for(editor)
    assert client.get(f"/admin/shop/registrations/{pending.pk}/decide/").status_code in (302, 403)
    client.post(f"/admin/shop/registrations/{pending.pk}/decide/", {"approve": "1"})
    pending.refresh_from_db()
    assert pending.status == "pending"
    assert client.get("/admin/shop/company-users/").status_code in (302, 403)


def test_staff_see_company_users_and_invite_for_a_company(
    shop: Any, superuser: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(superuser)
    listing = client.get("/admin/shop/company-users/").content.decode()
    assert "approver@schraubengmbh.example" in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/shop/invitations/new/",
            {"company": shop.de.company.pk, "email": "Einkauf@Schrauben.example", "role": "buyer"},
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.company == shop.de.company and invitation.invited_by == superuser
    assert invitation.email == "einkauf@schrauben.example"
    assert mail.outbox[0].to == ["einkauf@schrauben.example"]
    taken = client.post(
        "/admin/shop/invitations/new/",
        {"company": shop.de.company.pk, "email": "buyer@schraubengmbh.example", "role": "buyer"},
    )
    assert taken.status_code == 200 and Invitation.objects.count() == 1


def test_login_and_the_account_area_need_a_company_membership(shop: Any) -> None:
    client = visitor()
    wrong = client.post("/shop/login/", {"username": "buyer@alpenwerkag.example", "password": "x"})
    assert wrong.status_code == 200 and "correct username and password" in wrong.content.decode()
    ok = client.post("/shop/login/", {"username": "buyer@alpenwerkag.example", "password": "pw"})
    assert ok.status_code == 302 and ok["Location"] == "/shop/account/"
    dashboard = client.get("/shop/account/").content.decode()
    assert "Alpenwerk AG" in dashboard and "Buyer (orders)" in dashboard
    assert "/shop/account/users/" not in dashboard, "only admins see the users link"

    outsider = get_user_model().objects.create_user("x@y.example", "x@y.example", "pw")
    assert client_for(outsider).get("/shop/account/").status_code == 403
    assert client_for(outsider).get("/shop/account/lists/").status_code == 403
