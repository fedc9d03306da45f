"""Create the "Product managers" and "Pricing" admin groups with their permissions.

Permissions are created here (get_or_create) because Django only creates them after all
migrations have run; the later ``post_migrate`` pass finds them and leaves them alone.
"""

from django.db import migrations

ACTIONS = ("add", "change", "delete", "view")

#: Models each group may add, change, delete and view.
GROUP_MODELS = {
    "Product managers": ("product", "category", "attribute", "brand", "warehouse", "stocklevel"),
    "Pricing": ("pricelist", "priceentry"),
}
#: Extra ``magpie_catalog.product`` permissions per group.
GROUP_EXTRA = {"Product managers": (), "Pricing": ("change_product_prices",)}
EXTRA_NAMES = {"change_product_prices": "Can change product prices"}


def create_groups(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    admin_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=admin_type,
        codename="access_admin",
        defaults={"name": "Can access Wagtail admin"},
    )

    def permission(model_name, codename, name):
        content_type, _ = ContentType.objects.get_or_create(
            app_label="magpie_catalog", model=model_name
        )
        perm, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        return perm

    for group_name, model_names in GROUP_MODELS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = [access_admin]
        for model_name in model_names:
            verbose_name = apps.get_model("magpie_catalog", model_name)._meta.verbose_name
            perms += [
                permission(model_name, f"{action}_{model_name}", f"Can {action} {verbose_name}")
                for action in ACTIONS
            ]
        perms += [
            permission("product", codename, EXTRA_NAMES[codename])
            for codename in GROUP_EXTRA[group_name]
        ]
        group.permissions.add(*perms)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUP_MODELS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("magpie_catalog", "0002_parental_keys"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
