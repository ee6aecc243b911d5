from django.db import migrations, models


def create_fulltext(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from safedesk.search.backends.postgres import CREATE_SQL
    else:
        from safedesk.search.backends.sqlite_fts5 import CREATE_SQL
    for sql in CREATE_SQL:
        schema_editor.execute(sql)


def drop_fulltext(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from safedesk.search.backends.postgres import DROP_SQL
    else:
        from safedesk.search.backends.sqlite_fts5 import DROP_SQL
    for sql in DROP_SQL:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(max_length=32, verbose_name="kind")),
                ("key", models.CharField(max_length=200, verbose_name="key")),
                ("lang", models.CharField(max_length=16, verbose_name="language")),
                ("title", models.CharField(max_length=500, verbose_name="title")),
                ("body", models.TextField(blank=True, verbose_name="body")),
                ("url", models.CharField(max_length=500, verbose_name="address")),
                ("tags", models.CharField(blank=True, max_length=500, verbose_name="tags")),
                ("boost", models.FloatField(default=1.0, verbose_name="boost")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
                "constraints": [
                    models.UniqueConstraint(fields=("kind", "key", "lang"), name="search_document_unique")
                ],
            },
        ),
        migrations.CreateModel(
            name="SynonymGroup",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("terms", models.TextField(help_text="One term per line or separated by commas.", verbose_name="terms")),
                ("note", models.CharField(blank=True, max_length=200, verbose_name="note")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated")),
            ],
            options={"ordering": ["id"], "verbose_name": "synonym group", "verbose_name_plural": "synonym groups"},
        ),
        migrations.CreateModel(
            name="ZeroResultQuery",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("query", models.CharField(max_length=200, verbose_name="query")),
                ("lang", models.CharField(max_length=16, verbose_name="language")),
                ("source", models.CharField(default="helpcenter", max_length=32, verbose_name="source")),
                ("count", models.PositiveIntegerField(default=0, verbose_name="times")),
                ("first_seen", models.DateTimeField(auto_now_add=True, verbose_name="first seen")),
                ("last_seen", models.DateTimeField(verbose_name="last seen")),
            ],
            options={
                "ordering": ["-count", "-last_seen"],
                "verbose_name": "query without results",
                "verbose_name_plural": "queries without results",
                "constraints": [
                    models.UniqueConstraint(fields=("query", "lang", "source"), name="search_zero_result_unique")
                ],
                "indexes": [models.Index(fields=["-count"], name="search_zero_count_idx")],
            },
        ),
        migrations.RunPython(create_fulltext, drop_fulltext),
    ]
