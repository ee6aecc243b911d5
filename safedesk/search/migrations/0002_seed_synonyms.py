from django.db import migrations


def seed(apps, schema_editor):
    from safedesk.search.synonyms import SEED_GROUPS

    SynonymGroup = apps.get_model("search", "SynonymGroup")
    if not SynonymGroup.objects.exists():
        SynonymGroup.objects.bulk_create([SynonymGroup(terms=", ".join(group)) for group in SEED_GROUPS])


def unseed(apps, schema_editor):
    pass


class Migration(migrations.Migration):
    dependencies = [("search", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
