"""Admin: upload a CSV/XLSX file, preview what it would change (a dry run), then import it.

The uploaded bytes are kept in the default file storage under a random token, and the
token is remembered in the uploader's session: the confirm step imports exactly the file
that was previewed, and nothing the browser sends back besides the token is trusted.
Register the views with :func:`import_urls` (see the docstring there).
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from magpie_catalog.importing import (
    FileProblem,
    ImportReport,
    Problem,
    import_book,
    kinds_in,
    read_file,
)

IMPORT_PERMISSIONS = ("magpie_catalog.add_product", "magpie_catalog.change_product")
PRICE_PERMISSION = "magpie_catalog.change_product_prices"
SESSION_KEY = "magpie_catalog_imports"
STORAGE_DIR = "magpie_catalog/imports"
KEEP_SECONDS = 24 * 3600
ERRORS_SHOWN = 500
SUFFIXES = (".csv", ".xlsx")


def max_upload_bytes() -> int:
    """Largest accepted upload: ``MAGPIE_CATALOG_IMPORT_MAX_MB`` (default 100) megabytes."""
    return int(getattr(settings, "MAGPIE_CATALOG_IMPORT_MAX_MB", 100)) * 1024 * 1024


class ImportForm(forms.Form):
    """A CSV or XLSX file and what it holds."""

    file = forms.FileField(
        label=gettext_lazy("File"),
        help_text=gettext_lazy(
            "CSV (UTF-8) or Excel workbook (.xlsx). The first row names the columns."
        ),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Contents"),
        required=False,
        choices=[
            ("", gettext_lazy("Products (or every sheet of a workbook named after a kind)")),
            ("products", gettext_lazy("Products")),
            ("attributes", gettext_lazy("Attributes")),
            ("prices", gettext_lazy("Prices")),
            ("stock", gettext_lazy("Stock")),
        ],
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if Path(upload.name).suffix.lower() not in SUFFIXES:
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > max_upload_bytes():
            raise forms.ValidationError(
                _("The file is larger than %(mb)d MB; import it on the command line.")
                % {"mb": max_upload_bytes() // (1024 * 1024)}
            )
        return upload


def _uploads(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return request.session.setdefault(SESSION_KEY, {})


def _stored(request: HttpRequest, token: str) -> dict[str, Any] | None:
    upload = request.session.get(SESSION_KEY, {}).get(token)
    if not upload or upload.get("user") != request.user.pk:
        return None
    return upload


def _forget(request: HttpRequest, token: str) -> None:
    upload = request.session.get(SESSION_KEY, {}).pop(token, None)
    request.session.modified = True
    if upload:
        try:
            default_storage.delete(upload["path"])
        except OSError:
            pass


def _sweep() -> None:
    """Delete stored uploads older than a day (best effort; storages may not list)."""
    try:
        _dirs, files = default_storage.listdir(STORAGE_DIR)
        cutoff = time.time() - KEEP_SECONDS
        for name in files:
            file_path = f"{STORAGE_DIR}/{name}"
            if default_storage.get_modified_time(file_path).timestamp() < cutoff:
                default_storage.delete(file_path)
    except (OSError, NotImplementedError):
        pass


def _check_kinds(request: HttpRequest, kinds: list[str]) -> str | None:
    """A message when the user may not import one of ``kinds``, else None."""
    if "prices" in kinds and not request.user.has_perm(PRICE_PERMISSION):
        return _("You are not allowed to change prices, so you cannot import a prices file.")
    return None


class _ImportViewMixin(PermissionRequiredMixin, WagtailAdminTemplateMixin):
    permission_required = IMPORT_PERMISSIONS
    raise_exception = True
    header_icon = "upload"

    def get_breadcrumbs_items(self) -> list[dict[str, Any]]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse("magpie_catalog_import"), "label": _("Catalog import")},
        ]


class ImportView(_ImportViewMixin, FormView):
    """Upload form; a valid upload is stored and the browser sent to the preview."""

    template_name = "magpie_catalog/admin/import.html"
    form_class = ImportForm
    page_title = gettext_lazy("Import products, attributes, prices or stock")

    def form_valid(self, form: ImportForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"] or None
        data = upload.read()
        try:
            kinds = kinds_in(data, upload.name, kind)
        except FileProblem as exc:
            form.add_error("file", str(exc))
            return self.form_invalid(form)
        refusal = _check_kinds(self.request, kinds)
        if refusal:
            form.add_error("kind", refusal)
            response = self.form_invalid(form)
            response.status_code = 403
            return response
        _sweep()
        token = secrets.token_urlsafe(24)
        suffix = Path(upload.name).suffix.lower()
        stored = default_storage.save(f"{STORAGE_DIR}/{token}{suffix}", ContentFile(data))
        _uploads(self.request)[token] = {
            "path": stored,
            "name": Path(upload.name).name,
            "kind": kind,
            "user": self.request.user.pk,
        }
        self.request.session.modified = True
        return HttpResponseRedirect(reverse("magpie_catalog_import_preview", args=[token]))


class PreviewView(_ImportViewMixin, TemplateView):
    """The dry run of a stored upload: what would be created and updated, every error."""

    template_name = "magpie_catalog/admin/import_preview.html"
    page_title = gettext_lazy("Import preview")

    def upload(self) -> dict[str, Any] | None:
        """The stored upload of this token, if it belongs to this user's session."""
        return _stored(self.request, self.kwargs["token"])

    def run(self, upload: dict[str, Any], dry_run: bool) -> ImportReport:
        try:
            with default_storage.open(upload["path"], "rb") as stream:
                data = stream.read()
        except OSError:
            gone = Problem(None, "", _("The uploaded file is gone; please upload it again."))
            return ImportReport(dry_run=dry_run, errors=[gone])
        try:
            datasets = read_file(data, upload["name"], upload["kind"])
        except FileProblem as exc:
            return ImportReport(dry_run=dry_run, errors=[Problem(None, "", str(exc))])
        refusal = _check_kinds(self.request, list(datasets))
        if refusal:
            raise PermissionDenied(refusal)
        return import_book(datasets, dry_run=dry_run)

    def expired(self) -> HttpResponse:
        messages.error(self.request, _("That upload has expired; please upload the file again."))
        return HttpResponseRedirect(reverse("magpie_catalog_import"))

    def render_report(self, upload: dict[str, Any], report: ImportReport) -> HttpResponse:
        context = self.get_context_data(
            upload=upload,
            token=self.kwargs["token"],
            report=report,
            counts=list(report.counts.items()),
            errors=report.errors[:ERRORS_SHOWN],
            hidden_errors=max(len(report.errors) - ERRORS_SHOWN, 0),
            several=len(report.counts) > 1,
        )
        return self.render_to_response(context)

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        upload = self.upload()
        if upload is None:
            return self.expired()
        return self.render_report(upload, self.run(upload, dry_run=True))


class ConfirmView(PreviewView):
    """POST: import the previewed file for real (all rows or none)."""

    http_method_names = ["post"]
    page_title = gettext_lazy("Import")

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        upload = self.upload()
        if upload is None:
            return self.expired()
        report = self.run(upload, dry_run=False)
        if not report.written:
            # The data changed since the preview (or the file became invalid): show why.
            messages.error(request, _("Nothing was imported; see the errors below."))
            return self.render_report(upload, report)
        _forget(request, self.kwargs["token"])
        lines = "; ".join(
            _("%(kind)s: %(created)d created, %(updated)d updated, %(unchanged)d unchanged")
            % {
                "kind": kind,
                "created": c.created,
                "updated": c.updated,
                "unchanged": c.unchanged,
            }
            for kind, c in report.counts.items()
        )
        messages.success(
            request,
            _("Imported %(file)s. %(lines)s")
            % {
                "file": upload["name"],
                "lines": lines,
            },
        )
        return HttpResponseRedirect(reverse("magpie_catalog_import"))


def import_urls() -> list[Any]:
    """URL patterns of the import screens, for Wagtail's ``register_admin_urls`` hook.

    In ``wagtail_hooks.py``::

        @hooks.register("register_admin_urls")
        def register_import_urls():
            return import_urls()

        @hooks.register("register_admin_menu_item")  # or inside the catalog's menu group
        def register_import_menu_item():
            return MenuItem(_("Import"), reverse("magpie_catalog_import"), icon_name="upload",
                            order=900)  # optionally shown only with the import permissions
    """
    return [
        path("catalog/import/", ImportView.as_view(), name="magpie_catalog_import"),
        path(
            "catalog/import/<str:token>/",
            PreviewView.as_view(),
            name="magpie_catalog_import_preview",
        ),
        path(
            "catalog/import/<str:token>/confirm/",
            ConfirmView.as_view(),
            name="magpie_catalog_import_confirm",
        ),
    ]
