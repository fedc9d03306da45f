"""``manage purge_journey``: delete anonymous visitors and touchpoints past each site's
retention period (Settings → Customer journey → keep anonymous visitors for)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from wagtail.models import Site

from magpie.people.privacy import anonymous_data, purge_anonymous


class Command(BaseCommand):
    help = "Delete visitors and touchpoints never linked to a contact, past the retention period."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        from magpie.journey.models import JourneySettings

        for site in Site.objects.order_by("pk"):
            days = (
                JourneySettings.objects.filter(site=site)
                .values_list("anonymous_retention_days", flat=True)
                .first()
            )
            if days is None:
                days = JourneySettings._meta.get_field("anonymous_retention_days").default
            visitors, touchpoints = anonymous_data(site, days)
            counts = (visitors.count(), touchpoints.count())
            if not dry_run and any(counts):
                purge_anonymous(site, days)
            verb = "would delete" if dry_run else "deleted"
            self.stdout.write(
                f"{site.hostname}:{site.port}: {verb} {counts[0]} visitor(s) and "
                f"{counts[1]} touchpoint(s) older than {days} days"
            )
