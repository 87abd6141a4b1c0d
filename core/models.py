"""Full unit postcodes (optional table filled by `manage.py import_postcodes`)."""

from django.db import models


class PostcodePoint(models.Model):
    postcode = models.CharField(max_length=8, primary_key=True)  # normalised, "RG1 7QE"
    latitude = models.FloatField()
    longitude = models.FloatField()

    class Meta:
        # The table was created by the assets app before places moved to the
        # kernel; keeping its name makes the move a change of state only.
        db_table = "assets_postcodepoint"

    def __str__(self) -> str:
        return self.postcode


class Counter(models.Model):
    """A count that every worker shares, for rate limits when there is no Redis
    (core/counters.py): one row a key and window, gone once `expires` (Unix
    seconds) has passed."""

    key = models.CharField(max_length=250, primary_key=True)
    count = models.BigIntegerField()
    expires = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return self.key
