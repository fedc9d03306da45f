"""``manage decay_scores``: write each contact's engagement score after decay (run daily)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from wagtail.models import Site

from magpie_leads.scoring import DECAY_BATCH, decay_scores


class Command(BaseCommand):
    help = (
        "Write each contact's engagement score after decay (the site's half-life). "
        "Only contacts with a score other than 0 are read; run it daily, e.g. from cron."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--site", type=int, help="Only contacts of this site (its id).")
        parser.add_argument(
            "--batch", type=int, default=DECAY_BATCH, help="Contacts per transaction."
        )

    def handle(
        self, *args: Any, site: int | None = None, batch: int = DECAY_BATCH, **options: Any
    ) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if site is not None and not Site.objects.filter(pk=site).exists():
            raise CommandError(f"No site with id {site}.")
        changed = decay_scores(batch=batch, site=site)
        self.stdout.write(f"{changed} engagement score(s) changed.")
