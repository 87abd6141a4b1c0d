"""Seed what every install needs: a default timebank with its community pot,
the role groups, and the category taxonomy (coordinators may edit it later).

The categories here are a copy, frozen with this migration; the template a new
timebank's categories are copied from is timebank.categories (app code may
change, a migration must not)."""

from django.db import migrations

ROLES = ["member", "coordinator", "link-worker", "group-organiser", "admin"]

CATEGORIES = [
    # (name, slug, description, needs_dbs_check, needs_references)
    ("Befriending", "befriending", "Company, a chat, a cup of tea", False, True),
    ("Lifts and transport", "lifts-and-transport", "A lift to an appointment or the shops", True, True),
    ("Gardening", "gardening", "Weeding, mowing, planting", False, False),
    ("DIY and repairs", "diy-and-repairs", "Small jobs around the home", False, True),
    ("Shopping and errands", "shopping-and-errands", "Picking up shopping or prescriptions", False, True),
    ("Cooking and meals", "cooking-and-meals", "Cooking together, a hot meal", False, False),
    ("IT and phones", "it-and-phones", "Help with a computer, tablet or phone", False, False),
    ("Forms and letters", "forms-and-letters", "Reading letters, filling in forms", False, True),
    ("Language and conversation", "language-and-conversation", "Practising English or another language", False, False),
    ("Arts and crafts", "arts-and-crafts", "Knitting, painting, making", False, False),
    ("Music", "music", "Playing, singing, lessons", False, False),
    ("Sport and walking", "sport-and-walking", "A walking buddy, exercise together", False, False),
    ("Pets", "pets", "Dog walking, pet sitting", False, False),
    ("Caring breaks", "caring-breaks", "Sitting with someone so a carer can have a break", True, True),
    ("Learning and tutoring", "learning-and-tutoring", "Homework help, teaching a skill", True, True),
]


def seed(apps, schema_editor):
    Timebank = apps.get_model("timebank", "Timebank")
    Account = apps.get_model("timebank", "Account")
    Group = apps.get_model("auth", "Group")
    Category = apps.get_model("timebank", "Category")
    timebank, _ = Timebank.objects.get_or_create(slug="default", defaults={"name": "Our timebank"})
    Account.objects.get_or_create(
        timebank=timebank, kind="pot", defaults={"name": "Community pot", "min_balance": None}
    )
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    # Categories belong to a timebank from migration 0010 on: then these are the
    # default timebank's (tests re-run this seed with today's models). Before
    # it they are the one shared list, which 0011 gives to the default timebank.
    owner = {"timebank": timebank} if any(f.name == "timebank" for f in Category._meta.get_fields()) else {}
    for position, (name, slug, description, dbs, refs) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            slug=slug,
            **owner,
            defaults={
                "name": name,
                "description": description,
                "needs_dbs_check": dbs,
                "needs_references": refs,
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("timebank", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
