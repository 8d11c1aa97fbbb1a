"""Give every material a key: the materials the catalog left without one could not be uploaded
online (the upload field, the submission and the case's files are matched by key)."""

from django.db import migrations


def fill_keys(apps, schema_editor):
    from yiwang.catalog.models import derived_material_key

    Material = apps.get_model("catalog", "Material")
    for pk, name in Material.objects.filter(key="").values_list("pk", "name"):
        # update(), not save(): published versions are frozen to edits, and this is no edit of
        # what they say — the key is an identifier derived from the name they already carry
        Material.objects.filter(pk=pk).update(key=derived_material_key(name))


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_material_subject_field")]
    operations = [migrations.RunPython(fill_keys, migrations.RunPython.noop)]
