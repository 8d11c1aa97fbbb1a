"""Load the demo district's grids, 12345 categories, time limits, knowledge base, an Open311 demo
client and a year of work-order history (idempotent). Run after `load_demo`."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load the demo grids and 12345 hotline data (categories, knowledge base, ~5,200 work orders)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=None, help="how many history orders (default 5200)")
        parser.add_argument("--force", action="store_true", help="load even when demo mode is off")

    def handle(self, *args, orders=None, force=False, **options):
        from yiwang.grid import demo as grid_demo
        from yiwang.hotline.demo import categories, history, knowledge
        from yiwang.hotline.services import ensure_demo_open311_client

        if not settings.DEMO_MODE and not force:
            self.stderr.write("Demo mode is off (YIWANG_DEMO): the demo hotline data was not loaded.")
            return
        started = time.monotonic()
        out = self.stdout if options["verbosity"] >= 1 else None
        if out:
            out.write("Loading the demo grids and 12345 hotline…")
        grid_demo.load(stdout=out)
        categories.seed(stdout=out)
        knowledge.load(stdout=out)
        key = ensure_demo_open311_client()
        history.load(orders or history.DEFAULT_COUNT, stdout=out)
        if out:
            out.write(self.style.SUCCESS(f"demo hotline loaded in {time.monotonic() - started:.1f} s"))
            if key:
                out.write(f"Open311 demo api_key: {key}")
