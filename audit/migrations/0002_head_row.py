from django.db import migrations


def create_head(apps, schema_editor):
    # The head row must exist before the first append: creating it lazily would race.
    apps.get_model("audit", "AuditLogHead").objects.get_or_create(pk=1, defaults={"size": 0})


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]
    operations = [migrations.RunPython(create_head, migrations.RunPython.noop)]
