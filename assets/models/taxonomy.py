"""Taxonomies and their terms (HSDS `taxonomy`, `taxonomy_term`).

Terms carry a stable `slug` (`green-and-outdoor`) that pages, the API and
imports use; the seeded social-prescribing terms get UUIDs derived from their
slugs so every install publishes the same ids in its Open Referral feed.
"""

import uuid

from django.db import models
from django.utils.translation import get_language

# uuid5 namespace for ids derived from stable names (seeded terms, v1 imports).
TIMECOMMONS_NAMESPACE = uuid.UUID("6f1c4f0e-2b7a-4c57-9a39-3c1a4f0d9b21")

SOCIAL_PRESCRIBING_TAXONOMY_SLUG = "timecommons-social-prescribing"


def stable_uuid(kind: str, key: str) -> uuid.UUID:
    """A UUID that is the same on every install for the same (kind, key)."""
    return uuid.uuid5(TIMECOMMONS_NAMESPACE, f"{kind}:{key}")


class Taxonomy(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    uri = models.URLField(blank=True)
    version = models.CharField(max_length=40, blank=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, related_name="terms")
    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    # The Welsh name, shown on the directory's pages to people reading in
    # Cymraeg (blank: the English is shown). `label` picks by language; the
    # API and the Open Referral feeds publish `name` as it is.
    name_cy = models.CharField("Welsh name", max_length=200, blank=True)
    description = models.TextField(blank=True)
    code = models.CharField(max_length=80, blank=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    term_uri = models.URLField(blank=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        """The name in the language of the page (Welsh when there is one)."""
        return self.name_cy if self.name_cy and (get_language() or "").startswith("cy") else self.name
