"""Seed the social-prescribing taxonomy. Slugs and ids are stable: the same on
every install (ids are uuid5 of the slug), so feeds and API clients can rely on them."""

import uuid

from django.db import migrations

NAMESPACE = uuid.UUID("6f1c4f0e-2b7a-4c57-9a39-3c1a4f0d9b21")
TAXONOMY_SLUG = "timecommons-social-prescribing"

TERMS = [
    ("befriending-and-loneliness", "Befriending and loneliness"),
    ("physical-activity", "Physical activity"),
    ("green-and-outdoor", "Green and outdoor"),
    ("arts-and-creativity", "Arts and creativity"),
    ("learning-and-skills", "Learning and skills"),
    ("carers-support", "Carers' support"),
    ("mental-wellbeing-and-peer-support", "Mental wellbeing and peer support"),
    ("money-and-debt-advice", "Money and debt advice"),
    ("housing", "Housing"),
    ("food", "Food"),
    ("community-transport", "Community transport"),
    ("volunteering", "Volunteering"),
    ("digital-inclusion", "Digital inclusion"),
    ("faith-and-culture", "Faith and culture"),
    ("children-and-families", "Children and families"),
    ("older-people", "Older people"),
    ("long-term-conditions", "Long-term conditions"),
]


def seed(apps, schema_editor):
    Taxonomy = apps.get_model("assets", "Taxonomy")
    TaxonomyTerm = apps.get_model("assets", "TaxonomyTerm")
    taxonomy, _ = Taxonomy.objects.update_or_create(
        slug=TAXONOMY_SLUG,
        defaults={
            "id": uuid.uuid5(NAMESPACE, f"taxonomy:{TAXONOMY_SLUG}"),
            "name": "Social prescribing",
            "description": "What a community group or activity offers, and who it is for, in social-prescribing terms.",
            "version": "1",
        },
    )
    for slug, name in TERMS:
        TaxonomyTerm.objects.update_or_create(
            slug=slug,
            defaults={
                "id": uuid.uuid5(NAMESPACE, f"taxonomy_term:{slug}"),
                "taxonomy": taxonomy,
                "name": name,
                "code": slug,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("assets", "TaxonomyTerm").objects.filter(slug__in=[slug for slug, _ in TERMS]).delete()
    apps.get_model("assets", "Taxonomy").objects.filter(slug=TAXONOMY_SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("assets", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
