"""The API's routes: the REST API's three endpoints and four viewsets, DRF's
login page (session authentication for the browser) and the pipeline board."""
from django.urls import include, path

urlpatterns = [
    path("api-auth/", include("rest_framework.urls")),
    path("", include("workflows.urls")),
    path("", include("board.urls")),
]
