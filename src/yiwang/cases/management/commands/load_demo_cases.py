import time

from django.core.management.base import BaseCommand, CommandError

from yiwang.cases.demo import DEFAULT_COUNT, DemoDataMissing, load_demo_cases


class Command(BaseCommand):
    help = ("Load a year of demo case history (concluded cases and an open backlog) for the demo district. "
            "Needs load_demo and a published catalog (load_demo_catalog). Idempotent: a second run creates nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=DEFAULT_COUNT,
                            help=f"how many demo cases in all (default {DEFAULT_COUNT}); a larger count adds the difference")

    def handle(self, *args, count, **options):
        if count < 0:
            raise CommandError("--count must be ≥ 0")
        started = time.perf_counter()
        self.stdout.write(f"Loading {count} demo cases over the past year…")
        try:
            summary = load_demo_cases(count, stdout=self.stdout)
        except DemoDataMissing as exc:
            raise CommandError(str(exc)) from None
        took = time.perf_counter() - started
        if not summary["cases"]:
            self.stdout.write(f"demo cases already loaded ({summary['existing']} existing): nothing to do ({took:.1f} s)")
            return
        by_status = ", ".join(f"{k} {v}" for k, v in summary["by_status"].items())
        self.stdout.write(
            f"demo cases loaded: {summary['cases']} cases, {summary['events']} timeline events, {summary['tasks']} tasks, "
            f"{summary['payments']} payments, {summary['materials']} materials in {took:.1f} s\n  {by_status}"
        )
        if options.get("verbosity", 1) > 1:
            self.stdout.write(f"  timings: {summary['timings']}")
