from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_user_staff_email_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="anti_phishing_code",
            field=models.CharField(blank=True, max_length=32, verbose_name="anti-phishing code"),
        ),
    ]
