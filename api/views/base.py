"""The base every API view builds on: idempotent POSTs and no caching of
responses that may carry personal data (docs/quality.md A8)."""

from django.utils.cache import patch_cache_control
from rest_framework.generics import GenericAPIView

from api.idempotency import IdempotentPostMixin


class ApiView(IdempotentPostMixin, GenericAPIView):
    # Public, non-personal answers (the directory) may set this to False.
    private = True

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.private:
            patch_cache_control(response, no_store=True, private=True)
        return response
