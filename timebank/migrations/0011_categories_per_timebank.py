"""Categories belong to a timebank (step 2 of 3): give every category a timebank.

Forwards:
- the categories there are (one list shared by the whole install until now)
  become the first timebank's (the default one migration 0002 made);
- every other timebank gets its own copy of each of them (name, slug,
  description, safeguarding rules, in use or not, position), and everything of
  that timebank that names a category is pointed at its own copy: its
  listings, its members' category restrictions and its safeguarding
  overrides. Nothing else has a foreign key to Category.

Backwards (so 0010 can make names and slugs unique across the install again):
the copies are merged back into one list. For each slug (or, failing that,
name) the first timebank's category is kept, with its rules; another
timebank's category of the same slug or name is merged into it (what pointed
at it points at the kept one, and a restriction the member already has on the
kept one is dropped as a duplicate). A category no other timebank has is kept.
"""

from django.db import migrations

# What names a category, and how to reach the timebank it belongs to.
CATEGORY_USERS = [
    ("Listing", "timebank"),
    ("CategoryRestriction", "member__timebank"),
    ("SafeguardingOverride", "timebank"),
]
COPIED_FIELDS = ["name", "slug", "description", "needs_dbs_check", "needs_references", "is_active", "position"]


def give_categories_to_timebanks(apps, schema_editor):
    Timebank = apps.get_model("timebank", "Timebank")
    Category = apps.get_model("timebank", "Category")
    unowned = Category.objects.filter(timebank__isnull=True)
    timebanks = list(Timebank.objects.order_by("pk"))
    if not timebanks:
        # No timebank, so no listing, member or override can name a category either.
        unowned.delete()
        return
    first, others = timebanks[0], timebanks[1:]
    originals = list(unowned.order_by("pk"))
    unowned.update(timebank=first)
    for timebank in others:
        for original in originals:
            copy = Category.objects.create(
                timebank=timebank, **{field: getattr(original, field) for field in COPIED_FIELDS}
            )
            for model_name, timebank_path in CATEGORY_USERS:
                apps.get_model("timebank", model_name).objects.filter(
                    **{"category_id": original.pk, timebank_path: timebank.pk}
                ).update(category_id=copy.pk)


def _merge(apps, *, duplicate, into) -> None:
    CategoryRestriction = apps.get_model("timebank", "CategoryRestriction")
    for restriction in CategoryRestriction.objects.filter(category_id=duplicate.pk):
        if CategoryRestriction.objects.filter(member_id=restriction.member_id, category_id=into.pk).exists():
            restriction.delete()
        else:
            restriction.category_id = into.pk
            restriction.save(update_fields=["category"])
    for model_name, _ in CATEGORY_USERS:
        if model_name != "CategoryRestriction":
            apps.get_model("timebank", model_name).objects.filter(category_id=duplicate.pk).update(category_id=into.pk)
    duplicate.delete()


def merge_into_one_list(apps, schema_editor):
    Category = apps.get_model("timebank", "Category")
    by_slug, by_name = {}, {}
    # The first timebank's categories come first, so theirs are the ones kept.
    for category in Category.objects.order_by("timebank_id", "pk"):
        kept = by_slug.get(category.slug) or by_name.get(category.name)
        if kept is not None:
            _merge(apps, duplicate=category, into=kept)
        else:
            by_slug[category.slug] = by_name[category.name] = category


class Migration(migrations.Migration):
    dependencies = [
        ("timebank", "0010_category_timebank"),
    ]

    operations = [migrations.RunPython(give_categories_to_timebanks, merge_into_one_list)]
