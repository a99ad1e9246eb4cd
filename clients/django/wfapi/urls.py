"""The API's routes: the REST API's three endpoints and four viewsets."""
from django.urls import include, path

urlpatterns = [path("", include("workflows.urls"))]
