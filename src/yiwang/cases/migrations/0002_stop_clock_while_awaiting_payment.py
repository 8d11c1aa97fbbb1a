"""Cases waiting for the applicant's fee (待缴费) no longer keep the SLA clock running: stop it at
the decision for the ones already waiting."""

from django.db import migrations
from django.db.models import F


def stop_clocks(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    Case.objects.filter(status="awaiting_payment", accepted_at__isnull=False, clock_stopped_at__isnull=True,
                        concluded_at__isnull=False).update(clock_stopped_at=F("concluded_at"), sla_light="paused")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(stop_clocks, migrations.RunPython.noop)]
