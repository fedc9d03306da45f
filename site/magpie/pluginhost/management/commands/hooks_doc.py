"""Write docs/hooks.md from the hook specifications (or --check that it is current)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from magpie.pluginhost import hookdocs


class Command(BaseCommand):
    help = "Generate the hook reference docs/hooks.md from magpie/hookspecs.py."

    def add_arguments(self, parser):
        parser.add_argument("--output", default=str(settings.REPO_DIR / "docs" / "hooks.md"))
        parser.add_argument("--check", action="store_true", help="fail if the file is stale")

    def handle(self, *args, output: str, check: bool, **options):
        path = Path(output)
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else ""
            if current != hookdocs.render():
                raise CommandError(f"{path} is out of date; run `magpie manage hooks_doc`.")
            self.stdout.write(f"{path} is up to date.")
            return
        hookdocs.write(path)
        self.stdout.write(f"Wrote {path}.")
