"""Serializer building blocks shared by the API's subjects."""

from django.utils.translation import gettext as _
from rest_framework import serializers


class StrictSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a client that sends `status`,
    `organisation` or `is_staff` learns at once that they are not accepted
    (docs/quality.md A3), instead of wondering why nothing changed."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(str(key)[:50] for key in data if key not in self.fields or self.fields[key].read_only)
            if unknown:
                raise serializers.ValidationError({key: [_("This field is not accepted.")] for key in unknown})
        return super().to_internal_value(data)


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    name = serializers.CharField(read_only=True)
