"""List installed plugins with version, hooks, errors and per-site state."""

import json

from django.core.management.base import BaseCommand
from wagtail.models import Site

from magpie.plugins import disabled_plugins, get_host


class Command(BaseCommand):
    help = "List installed plugins: name, version, hooks, error and state on each site."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, **options):
        sites = list(Site.objects.all())
        disabled = {site.pk: disabled_plugins(site) for site in sites}
        rows = []
        for info in sorted(get_host().plugins.values(), key=lambda i: i.name):
            rows.append(
                {
                    "name": info.name,
                    "version": info.version,
                    "source": info.source,
                    "hooks": info.hooks,
                    "error": info.error,
                    "sites": {
                        str(site): info.loaded and info.name not in disabled[site.pk]
                        for site in sites
                    },
                }
            )
        if options["json"]:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        for row in rows:
            state = "ERROR" if row["error"] else "ok"
            self.stdout.write(f"{row['name']} {row['version'] or '-'} [{state}] {row['source']}")
            self.stdout.write(f"    hooks: {', '.join(row['hooks']) or '-'}")
            if row["error"]:
                self.stdout.write(f"    error: {row['error']}")
            for site, enabled in row["sites"].items():
                self.stdout.write(f"    {site}: {'enabled' if enabled else 'disabled'}")
