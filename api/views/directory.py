"""Directory endpoints: search services near a place, one service, categories.
The search itself is assets.selectors.asset_search_rows (one search for pages,
the API and the feed)."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from api.serializers import directory as d
from api.views.base import ApiView
from assets.models import Service
from assets.selectors import asset_search_rows, service_detail, taxonomy_terms

DIRECTORY_SCOPES = {"read": "directory:read", "write": "directory:read"}


class DirectoryView(ApiView):
    required_scopes = DIRECTORY_SCOPES
    throttle_scope = "directory"
    # Directory answers hold no personal data.
    private = False
    queryset = Service.objects.none()


class ServiceSearchView(DirectoryView):
    serializer_class = d.ServiceResultSerializer

    @extend_schema(
        summary="Services near a place, nearest first",
        parameters=[d.ServiceSearchQuerySerializer],
        responses=d.ServiceResultSerializer(many=True),
    )
    def get(self, request):
        params = d.ServiceSearchQuerySerializer(data=self._query_dict(request))
        params.is_valid(raise_exception=True)
        p = params.validated_data
        found = asset_search_rows(
            near=p["near"],
            radius_km=p["radius_km"],
            category=p.get("category"),
            q=p.get("q"),
            day=p.get("day"),
            free_only=p["free"],
            accessibility=p.get("accessibility", []),
            page=p["page"],
            per_page=p["page_size"],
        )
        url = request.build_absolute_uri()
        last_page = max(1, -(-found.count // found.per_page))
        return Response(
            {
                "count": found.count,
                "next": replace_query_param(url, "page", found.page + 1) if found.page < last_page else None,
                "previous": (
                    None
                    if found.page <= 1
                    else (
                        replace_query_param(url, "page", found.page - 1)
                        if found.page > 2
                        else remove_query_param(url, "page")
                    )
                ),
                "results": d.search_results_data(found.results),
            }
        )

    @staticmethod
    def _query_dict(request) -> dict:
        data = {key: request.query_params.get(key) for key in request.query_params if key != "accessibility"}
        if "accessibility" in request.query_params:
            data["accessibility"] = request.query_params.getlist("accessibility")
        return data


class ServiceDetailView(DirectoryView):
    serializer_class = d.ServiceOutSerializer

    @extend_schema(summary="One service", responses=d.ServiceOutSerializer)
    def get(self, request, service_id):
        service = service_detail(service_id=service_id)
        return Response(d.ServiceOutSerializer(service).data)


class CategoryListView(DirectoryView):
    serializer_class = d.CategoryOutSerializer

    def get_queryset(self):
        return taxonomy_terms().select_related("parent")

    @extend_schema(
        summary="Categories (taxonomy terms) to search and refer by", responses=d.CategoryOutSerializer(many=True)
    )
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(d.CategoryOutSerializer(page, many=True).data)
