from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("magpie_people", "0003_erasure_log"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="country",
            field=models.CharField(
                blank=True, help_text="ISO 3166-1", max_length=2, verbose_name="country"
            ),
        ),
    ]
