"""The database cache table (embedded default; harmless when Redis is the cache) is created by
migrate, so no command that touches the cache can run before it exists."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]
    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
