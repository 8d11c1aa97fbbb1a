"""Seed the holiday/make-up-day table from the chinese-calendar package (idempotent)."""

from datetime import date

from django.core.management.base import BaseCommand
from django.db import transaction

from yiwang.core.models import CalendarDay


def official_exceptions(first_year: int, last_year: int) -> list[tuple[date, str, str]]:
    import chinese_calendar

    rows = []
    for day, name in sorted(chinese_calendar.holidays.items()):
        if first_year <= day.year <= last_year and day.weekday() < 5:
            rows.append((day, CalendarDay.Kind.HOLIDAY, str(name)))
    for day, name in sorted(chinese_calendar.workdays.items()):
        if first_year <= day.year <= last_year and day.weekday() >= 5:
            rows.append((day, CalendarDay.Kind.WORKDAY, str(name)))
    return rows


HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


class Command(BaseCommand):
    help = "Load the official holidays and make-up working days (chinese-calendar) into the calendar table."

    def add_arguments(self, parser):
        parser.add_argument("--from-year", type=int, default=2020)
        parser.add_argument("--to-year", type=int, default=2026)

    @transaction.atomic
    def handle(self, *args, from_year, to_year, **options):
        created = 0
        for day, kind, name in official_exceptions(from_year, to_year):
            label = next((zh for en, zh in HOLIDAY_NAMES.items() if en in name), name)
            _, was_created = CalendarDay.objects.get_or_create(
                date=day, defaults={"kind": kind, "name": label, "source": "chinese-calendar"}
            )
            created += was_created
        if options.get("verbosity", 1) > 0:
            self.stdout.write(f"calendar: {created} days added ({from_year}–{to_year})")
