"""Deliver due domain events: retries and deliveries whose worker died."""

import time

from django.core.management.base import BaseCommand

from magpie.events.outbox import deliver_due


class Command(BaseCommand):
    help = "Deliver pending domain events that are due (run once, or --loop SECONDS)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, default=0, help="Repeat every N seconds.")

    def handle(self, *args, loop: float = 0, **options):
        while True:
            count = deliver_due()
            if options["verbosity"] > 1 or (count and not loop):
                self.stdout.write(f"Delivered {count} event(s).")
            if not loop:
                return
            time.sleep(loop)
