"""GP record events as the referrer's system pulls them into the GP record:
one coded entry per item, in SNOMED CT (system http://snomed.info/sct)."""

from rest_framework import serializers

from referrals import snomed


class GpRecordEventFeedItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The event's id; events come in this order, oldest first.")
    referral_id = serializers.UUIDField()
    snomed_code = serializers.CharField(help_text="SNOMED CT UK concept id.")
    term = serializers.CharField(source="display", help_text="The concept's preferred term.")
    system = serializers.SerializerMethodField()
    occurred_on = serializers.DateField(help_text="The day it happened.")
    recorded_at = serializers.DateTimeField(source="created_at")

    def get_system(self, event) -> str:
        return snomed.SYSTEM


class GpRecordEventFeedSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True, help_text="The next page, or null when there is nothing more yet.")
    cursor = serializers.CharField(
        help_text="Where this page ended. Keep it and pass it as ?cursor= later to get only newer events."
    )
    results = GpRecordEventFeedItemSerializer(many=True)
