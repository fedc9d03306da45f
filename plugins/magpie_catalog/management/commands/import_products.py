"""``magpie manage import_products FILE [--kind K] [--dry-run]``: CSV/XLSX into the catalog."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from magpie_catalog.importing import KINDS, FileProblem, Progress, import_book, read_path


class TqdmProgress(Progress):
    """A tqdm bar per phase (validating, writing), drawn on the command's stderr."""

    def __init__(self, stream: Any, enabled: bool | None) -> None:
        self.stream = stream
        self.enabled = enabled
        self.bar: Any = None

    def start(self, phase: str, total: int) -> None:
        from tqdm import tqdm

        self.finish()
        disable = None if self.enabled is None else not self.enabled
        self.bar = tqdm(
            total=total,
            desc=phase,
            unit=pgettext("catalog import", "rows"),
            file=self.stream,
            disable=disable,
            leave=True,
        )

    def advance(self, count: int) -> None:
        if self.bar is not None:
            self.bar.update(count)

    def finish(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class Command(BaseCommand):
    help = (
        "Import products, attributes, prices or stock from a CSV or XLSX file. Every row is "
        "validated first; with any error nothing is written and the command exits with 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--kind",
            choices=KINDS,
            default=None,
            help="What the file holds (default: products; an XLSX workbook without --kind "
            "imports its sheets named attributes, products, prices and stock, in that order)",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count; write nothing"
        )
        progress = parser.add_mutually_exclusive_group()
        progress.add_argument(
            "--progress",
            dest="progress",
            action="store_true",
            default=None,
            help="Always draw the progress bar (default: only on a terminal)",
        )
        progress.add_argument(
            "--no-progress", dest="progress", action="store_false", help="No progress bar"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            datasets = read_path(options["file"], options["kind"])
        except FileProblem as exc:
            raise CommandError(str(exc)) from None
        progress = TqdmProgress(self.stderr, options["progress"])
        try:
            report = import_book(datasets, dry_run=options["dry_run"], progress=progress)
        finally:
            progress.finish()
        several = len(datasets) > 1
        for problem in report.errors:
            prefix = f"[{problem.sheet}] " if several and problem.sheet else ""
            self.stderr.write(f"{prefix}{problem}")
        if report.errors:
            raise CommandError(
                ngettext(
                    "%(count)d error in %(file)s; nothing was written.",
                    "%(count)d errors in %(file)s; nothing was written.",
                    len(report.errors),
                )
                % {"count": len(report.errors), "file": options["file"]}
            )
        verb = (
            _("Dry run, nothing written")
            if report.dry_run
            else pgettext("catalog import", "Imported")
        )
        self.stdout.write(f"{verb}:\n{report.summary()}")
