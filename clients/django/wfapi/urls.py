"""The API's routes (workflows/urls.py), DRF's login page for the browsable
API and the board (api-auth/), the OpenAPI schema of every route (schema/,
DRF's own generation) and the pipeline board (board/urls.py).  Django's 400,
404 and 500 answer the API's error body."""
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.schemas import get_schema_view

# The schema documents routes, never data: anyone may read it.
schema_view = get_schema_view(title="workflow_ext REST API", version="0.3.0",
                              description="The REST API over workflow_ext (README: REST API).",
                              public=True, permission_classes=[AllowAny])

urlpatterns = [
    path("api-auth/", include("rest_framework.urls")),
    path("schema/", schema_view, name="openapi-schema"),
    path("", include("workflows.urls")),
    path("", include("board.urls")),
]

handler400 = "workflows.errors.bad_request_view"
handler404 = "workflows.errors.not_found_view"
handler500 = "workflows.errors.server_error_view"
