from django.db import migrations, models

TAXONOMY_SLUG = "timecommons-social-prescribing"

# The Welsh names of the social-prescribing terms we ship (0002), by code.
# Frozen here (a migration must not import code that may change). Drafted by
# the team: a Welsh speaker should check them (docs/translating.md). Only
# terms with no Welsh name yet are filled, so a name someone has changed in
# the admin is kept.
WELSH = {
    "befriending-and-loneliness": "Cyfeillio ac unigrwydd",
    "physical-activity": "Gweithgarwch corfforol",
    "green-and-outdoor": "Gwyrdd ac awyr agored",
    "arts-and-creativity": "Celfyddydau a chreadigrwydd",
    "learning-and-skills": "Dysgu a sgiliau",
    "carers-support": "Cymorth i ofalwyr",
    "mental-wellbeing-and-peer-support": "Lles meddyliol a chymorth gan gymheiriaid",
    "money-and-debt-advice": "Cyngor ar arian a dyledion",
    "housing": "Tai",
    "food": "Bwyd",
    "community-transport": "Trafnidiaeth gymunedol",
    "volunteering": "Gwirfoddoli",
    "digital-inclusion": "Cynhwysiant digidol",
    "faith-and-culture": "Ffydd a diwylliant",
    "children-and-families": "Plant a theuluoedd",
    "older-people": "Pobl hŷn",
    "long-term-conditions": "Cyflyrau hirdymor",
}


def welsh_names(apps, schema_editor):
    TaxonomyTerm = apps.get_model("assets", "TaxonomyTerm")
    for code, name_cy in WELSH.items():
        TaxonomyTerm.objects.filter(taxonomy__slug=TAXONOMY_SLUG, code=code, name_cy="").update(name_cy=name_cy)


class Migration(migrations.Migration):
    dependencies = [
        ("assets", "0006_feed_sources_and_placing"),
    ]

    operations = [
        migrations.AddField(
            model_name="taxonomyterm",
            name="name_cy",
            field=models.CharField(blank=True, max_length=200, verbose_name="Welsh name"),
        ),
        migrations.RunPython(welsh_names, migrations.RunPython.noop),
    ]
