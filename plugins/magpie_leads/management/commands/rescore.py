"""``manage rescore``: rebuild contacts' scores from their touchpoints with today's rules.

Run it after changing scoring rules or the half-life when past touchpoints should count
under the new rules (new rules otherwise apply from now on). It rewrites the engagement
history of every contact it touches; fit is evaluated again too.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from magpie.people.models import Contact
from magpie_leads.scoring import rescore


class Command(BaseCommand):
    help = "Rebuild engagement and fit scores from the touchpoints with the current rules."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--site", type=int, help="Only contacts of this site (its id).")
        parser.add_argument(
            "--contact", type=int, action="append", help="Only this contact (repeatable)."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        contacts = Contact.objects.order_by("pk")
        if options.get("site") is not None:
            if not Site.objects.filter(pk=options["site"]).exists():
                raise CommandError(f"No site with id {options['site']}.")
            contacts = contacts.filter(site_id=options["site"])
        if options.get("contact"):
            contacts = contacts.filter(pk__in=options["contact"])
        total = contacts.count()
        bar = None
        if not options.get("no_progress"):
            from tqdm import tqdm

            bar = tqdm(total=total, unit="contact", desc="Rescoring", file=self.stderr._out)
        done = 0
        for contact in contacts.iterator(chunk_size=500):
            rescore(contact)
            done += 1
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()
        self.stdout.write(f"Rescored {done} contact(s).")
