"""``magpie manage update_index``: Wagtail's index of pages, images and documents, then the
product index, rebuilt with a progress bar.

``--products-only`` skips Wagtail's part; ``--no-products`` skips the products.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from modelsearch.management.commands.rebuild_modelsearch_index import Command as WagtailCommand
from tqdm import tqdm


class Command(WagtailCommand):
    help = "Rebuild the search index: Wagtail's models, then the products (with progress)."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--products-only", action="store_true", help="Rebuild only the product index."
        )
        parser.add_argument(
            "--no-products", action="store_true", help="Leave the product index alone."
        )

    def handle(self, **options: Any) -> None:
        if not options["products_only"]:
            super().handle(**options)
        if options["no_products"]:
            return
        from magpie_catalog.models import Product
        from magpie_search.engines import EngineUnavailable, get_engine
        from magpie_search.indexing import rebuild

        engine = get_engine()
        total = Product.objects.filter(status=Product.Status.ACTIVE).count()
        started = time.monotonic()
        bar = tqdm(
            total=total,
            unit="products",
            desc=f"Products ({engine.name})",
            file=sys.stderr,
            disable=options["verbosity"] == 0,
        )
        try:
            written = rebuild(progress=bar.update, engine=engine)
        except EngineUnavailable as exc:
            bar.close()
            self.stderr.write(f"The search engine is not reachable: {exc}")
            raise SystemExit(1) from None
        bar.close()
        seconds = time.monotonic() - started
        self.stdout.write(f"{written} products indexed in {seconds:.1f} s ({engine.name}).")
