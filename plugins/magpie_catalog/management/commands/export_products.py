"""``magpie manage export_products FILE [--kind K]``: the catalog as CSV or XLSX."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from magpie_catalog.exporting import export_path
from magpie_catalog.importing import KINDS


class Command(BaseCommand):
    help = (
        "Export products, attributes, prices or stock in the format import_products reads. "
        "FILE ending in .xlsx gets one sheet per kind (all kinds unless --kind is given); "
        "a .csv file holds one kind (default products)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Where to write: a .csv or .xlsx path")
        parser.add_argument(
            "--kind", choices=KINDS, action="append", help="Kind to export (repeatable for XLSX)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = export_path(options["file"], options["kind"])
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from None
        for kind, count in counts.items():
            self.stdout.write(
                ngettext("%(kind)s: %(count)d row", "%(kind)s: %(count)d rows", count)
                % {"kind": kind, "count": count}
            )
