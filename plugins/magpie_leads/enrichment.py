"""Contact enrichment: what the email domain and the phone number tell about a contact.

* :func:`enrich_from_email_and_phone` — the first-party ``enrich_contact`` implementation:
  the company from a business email domain (free-mail and ISP domains left out) and the
  country from the domain's ccTLD or the phone number.
* :func:`enrich` — asks every enabled plugin's ``enrich_contact`` (safely: a failing plugin
  is logged and skipped), merges the answers (the first plugin wins per key), fills only
  empty contact fields and attaches the company found or created by domain.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import phonenumbers
from django.db import connection, transaction

from magpie.people.models import Company, Contact

logger = logging.getLogger("magpie_leads.enrichment")

#: Email domains of free-mail providers and ISPs: they tell nothing about an employer.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "outlook.de",
        "hotmail.com",
        "hotmail.ch",
        "hotmail.de",
        "hotmail.fr",
        "hotmail.it",
        "hotmail.co.uk",
        "live.com",
        "live.ch",
        "live.de",
        "live.at",
        "live.fr",
        "msn.com",
        "yahoo.com",
        "yahoo.de",
        "yahoo.fr",
        "yahoo.it",
        "yahoo.co.uk",
        "ymail.com",
        "gmx.ch",
        "gmx.de",
        "gmx.at",
        "gmx.net",
        "gmx.com",
        "web.de",
        "bluewin.ch",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "protonmail.ch",
        "pm.me",
        "t-online.de",
        "freenet.de",
        "aol.com",
        "aol.de",
        "mail.ch",
        "mail.com",
        "mail.de",
        "hispeed.ch",
        "sunrise.ch",
        "swissonline.ch",
        "green.ch",
        "vtxmail.ch",
        "quickline.ch",
        "bluemail.ch",
        "posteo.de",
        "mailbox.org",
        "arcor.de",
        "1und1.de",
        "online.de",
        "aon.at",
        "chello.at",
        "a1.net",
        "orange.fr",
        "free.fr",
        "laposte.net",
        "libero.it",
        "tiscali.it",
        "zoho.com",
        "yandex.com",
        "yandex.ru",
        "mail.ru",
        "qq.com",
        "163.com",
        "tutanota.com",
        "tuta.io",
        "fastmail.com",
    }
)

#: Country-code top-level domains and their ISO 3166-1 country (``uk`` is ``GB``).
CCTLD_COUNTRIES: dict[str, str] = {
    "ch": "CH",
    "li": "LI",
    "de": "DE",
    "at": "AT",
    "fr": "FR",
    "it": "IT",
    "nl": "NL",
    "be": "BE",
    "lu": "LU",
    "es": "ES",
    "pt": "PT",
    "dk": "DK",
    "se": "SE",
    "no": "NO",
    "fi": "FI",
    "pl": "PL",
    "cz": "CZ",
    "sk": "SK",
    "hu": "HU",
    "si": "SI",
    "hr": "HR",
    "ie": "IE",
    "uk": "GB",
    "gr": "GR",
    "ro": "RO",
    "bg": "BG",
    "ee": "EE",
    "lv": "LV",
    "lt": "LT",
    "mt": "MT",
    "cy": "CY",
    "is": "IS",
    "us": "US",
    "ca": "CA",
    "au": "AU",
    "nz": "NZ",
    "jp": "JP",
    "cn": "CN",
    "in": "IN",
    "br": "BR",
    "mx": "MX",
    "za": "ZA",
    "tr": "TR",
    "il": "IL",
    "sg": "SG",
    "kr": "KR",
}

_DOMAIN = re.compile(r"^(?=.{3,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
#: Name parts that are not a company's name (``www.acme.co.uk`` → "Acme").
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "or", "ne"})


def is_free_mail(domain: str) -> bool:
    """Whether ``domain`` (or a parent of it) is a free-mail or ISP domain."""
    domain = domain.lower()
    parts = domain.split(".")
    return any(".".join(parts[i:]) in FREE_MAIL_DOMAINS for i in range(len(parts) - 1))


def email_domain(email: str) -> str | None:
    """The lower-cased, well-formed domain of ``email`` (IDN as punycode), or ``None``."""
    _local, at, domain = (email or "").strip().rpartition("@")
    if not at:
        return None
    domain = domain.strip().rstrip(".").lower()
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return domain if _DOMAIN.match(domain) else None


def business_domain(email: str) -> str | None:
    """The email's domain unless it is a free-mail/ISP domain."""
    domain = email_domain(email)
    if domain is None or is_free_mail(domain):
        return None
    return domain


def name_from_domain(domain: str) -> str:
    """A readable company name from a domain: ``acme-tools.ch`` → ``Acme Tools``."""
    parts = domain.lower().split(".")
    if parts and parts[0] == "www":
        parts = parts[1:]
    labels = parts[:-1] or parts
    while len(labels) > 1 and labels[-1] in _SECOND_LEVEL:
        labels = labels[:-1]
    core = labels[-1] if labels else domain
    words = re.split(r"[-_]+", core)
    return " ".join(word.capitalize() for word in words if word) or domain


def country_from_domain(domain: str) -> str | None:
    """The country of a country-code TLD (``.ch`` → ``CH``); ``None`` for ``.com`` and co."""
    return CCTLD_COUNTRIES.get(domain.rsplit(".", 1)[-1].lower())


def country_from_phone(phone: str, default_region: str | None = None) -> str | None:
    """The region of a valid phone number in international format (``+41 …`` → ``CH``),
    or of a national number parsed with ``default_region``; ``None`` when unknown."""
    if not phone:
        return None
    try:
        number = phonenumbers.parse(phone, (default_region or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    region = phonenumbers.region_code_for_number(number)
    return region if region and region != "ZZ" and region != "001" else None


def enrich_from_email_and_phone(contact: Any) -> dict[str, Any] | None:
    """The first-party ``enrich_contact`` answer: ``{"company": {"domain", "name"},
    "country": "CH"}`` (each key only when known), or ``None`` when nothing is."""
    result: dict[str, Any] = {}
    domain = business_domain(getattr(contact, "email", "") or "")
    country = country_from_domain(domain) if domain else None
    if domain:
        company: dict[str, Any] = {"domain": domain, "name": name_from_domain(domain)}
        if country:
            company["country"] = country
        result["company"] = company
    if not country:
        company_obj = getattr(contact, "company", None) if contact.company_id else None
        region = getattr(company_obj, "country", "") or None
        country = country_from_phone(getattr(contact, "phone", "") or "", region)
    if country:
        result["country"] = country
    return result or None


#: Contact fields an enrichment answer may fill when empty.
FILLABLE = ("first_name", "last_name", "phone", "job_title", "country", "locale")
#: Company fields an enrichment answer may fill on a new or empty company.
COMPANY_FILLABLE = ("industry", "size", "country")


def merge(answers: list[tuple[str, Any]]) -> dict[str, Any]:
    """Merge plugins' answers in call order: the first plugin to give a key wins; the
    ``company`` dicts are merged the same way key by key."""
    merged: dict[str, Any] = {}
    for plugin_name, answer in answers:
        if not isinstance(answer, dict):
            logger.warning("Plugin %s answered enrich_contact with a non-dict.", plugin_name)
            continue
        for key, value in answer.items():
            if value in (None, "", {}):
                continue
            if key == "company" and isinstance(value, dict):
                company = merged.setdefault("company", {})
                for ckey, cvalue in value.items():
                    if cvalue not in (None, "") and ckey not in company:
                        company[ckey] = cvalue
            elif key not in merged:
                merged[key] = value
    return merged


def find_company_by_domain(domain: str) -> Company | None:
    """The company whose ``domains`` holds ``domain`` (oldest first).

    ``domains`` is a JSON list: a text search on its JSON narrows the rows on SQLite and
    PostgreSQL alike; the list itself decides.
    """
    domain = domain.lower()
    candidates = Company.objects.filter(domains__icontains=f'"{domain}"').order_by("pk")
    for company in candidates:
        if domain in [str(d).strip().lower() for d in company.domains or []]:
            return company
    return None


def wait_for_company_creators(key: str) -> None:
    """Wait until no concurrent transaction may still create the company of ``key``
    (``"domain:acme.ch"`` or ``"name:acme ag"``), and keep others waiting until this one
    ends.

    Look for the company again after this: two leads from a new domain at the same moment
    then make one company, not two. A PostgreSQL advisory lock for the transaction;
    elsewhere nothing (SQLite lets one transaction write at a time).
    """
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"company:{key}"])


def _field_max(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length or 255


def company_for_domain(domain: str, details: dict[str, Any] | None = None) -> Company:
    """The company of ``domain``, created (named from ``details`` or the domain) if none."""
    found = find_company_by_domain(domain)
    if found is None:
        wait_for_company_creators(f"domain:{domain}")
        found = find_company_by_domain(domain)
    if found is not None:
        return found
    details = details or {}
    name = str(details.get("name") or name_from_domain(domain))[: _field_max(Company, "name")]
    company = Company(name=name, domains=[domain])
    for key in COMPANY_FILLABLE:
        value = details.get(key)
        if isinstance(value, str) and value:
            setattr(company, key, value[: _field_max(Company, key)])
    company.save()
    return company


def enrich(contact: Contact) -> dict[str, Any]:
    """Ask every enabled plugin's ``enrich_contact`` about ``contact`` and apply the merged
    answer: empty contact fields are filled (never overwritten), and a contact without a
    company gets the company of the answered domain (found by ``Company.domains`` or
    created with the domain). Returns the merged answer.
    """
    from magpie.plugins import call_safely

    answers = call_safely("enrich_contact", site=contact.site_id, contact=contact)
    merged = merge(answers)
    if not merged:
        return merged
    changed: list[str] = []
    with transaction.atomic():
        for name in FILLABLE:
            value = merged.get(name)
            if isinstance(value, str) and value.strip() and not getattr(contact, name):
                value = value.strip()
                if name == "country":
                    value = value.upper()
                    if len(value) != 2:
                        continue
                setattr(contact, name, value[: _field_max(Contact, name)])
                changed.append(name)
        company = merged.get("company")
        if not contact.company_id and isinstance(company, dict):
            domain = email_domain("x@" + str(company.get("domain") or ""))
            if domain and not is_free_mail(domain):
                contact.company = company_for_domain(domain, company)
                changed.append("company")
        if changed:
            contact.save(update_fields=[*changed, "updated_at"])
    return merged
