"""``manage load_demo``: the Alpenwerk demo site in German and English, then plugins' demo data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from magpie.content.demo import COMPANY, load_demo
from magpie.plugins import get_host


class Command(BaseCommand):
    help = (
        "Load the demo content (a fictional Swiss industrial supplier, German and English) "
        "and every plugin's demo data. Idempotent: existing objects are left unchanged."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--no-plugins",
            action="store_true",
            help="Load the host's content only; skip the plugins' demo_data hooks.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Demo content: {COMPANY}")
        report = load_demo(stdout=self.stdout if options["verbosity"] > 0 else None)
        if report.created:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created {len(report.created)} objects; {len(report.kept)} were in place."
                )
            )
        else:
            self.stdout.write(f"Nothing to do: all {len(report.kept)} demo objects are in place.")
        if not options["no_plugins"]:
            get_host().hook.demo_data(stdout=self.stdout)
