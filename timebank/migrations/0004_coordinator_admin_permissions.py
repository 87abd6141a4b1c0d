"""Coordinators run the timebank from the Django admin: give the coordinator
group the permissions it needs there, and keep ledger rows append-only.

- Ledger rows (transfers, entries) and exchange history: view only. Corrections
  are reversals, made through the coordinator pages (timebank.ledger).
- Accounts: view and change (the admin lets only the limits change).
- Exchanges: view and change (the lifecycle fields stay read-only in the admin;
  transitions go through the exchange services so history is written).
- Members, listings, categories, safeguarding records: view, add and change.
- The timebank's own settings: view and change. Users: view only, so a
  coordinator cannot grant themselves more rights.
Nobody in the group may delete: members and ledger rows are protected, and
records are closed or paused rather than removed.

Also: a transfer's `recorded_by` is PROTECT, not SET_NULL, because clearing it
would be an UPDATE of an append-only row (no schema change: on_delete is not
stored in the database).
"""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

COORDINATOR_PERMISSIONS = {
    "timebank": {
        "timebank": ["view", "change"],
        "member": ["view", "add", "change"],
        "category": ["view", "add", "change"],
        "listing": ["view", "add", "change"],
        "exchange": ["view", "change"],
        "exchangereceiver": ["view"],
        "exchangehistory": ["view"],
        "account": ["view", "change"],
        "transfer": ["view"],
        "entry": ["view"],
        "safeguardingcheck": ["view", "add", "change"],
        "incident": ["view", "add", "change"],
        "categoryrestriction": ["view", "add", "change"],
        "user": ["view"],
    },
}


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate);
    # create this app's now so a fresh database can be granted them here.
    app_config = apps.get_app_config("timebank")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="coordinator")
    codenames = [
        f"{action}_{model}"
        for models_actions in COORDINATOR_PERMISSIONS.values()
        for model, actions in models_actions.items()
        for action in actions
    ]
    permissions = Permission.objects.filter(content_type__app_label="timebank", codename__in=codenames)
    group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name="coordinator").first()
    if group is not None:
        group.permissions.remove(*group.permissions.filter(content_type__app_label="timebank"))


class Migration(migrations.Migration):
    dependencies = [
        ("timebank", "0003_ledger_triggers"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterField(
            model_name="transfer",
            name="recorded_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(grant, revoke),
    ]
