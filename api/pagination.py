"""One list shape for the whole API: DRF's count/next/previous/results,
20 per page by default, never more than 100 (docs/quality.md A4)."""

from rest_framework.pagination import PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
