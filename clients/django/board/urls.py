"""The board's pages: /board/ (the jobs) and /jobs/<job_id>/board/.  The data
comes from the REST API's routes (GET /jobs/, /jobs/<id>/, /jobs/<id>/pipeline/,
/jobs/<id>/funnel/, /rejection-reasons/; POST .../move/, .../reject/)."""
from django.urls import path

from . import views

urlpatterns = [
    path("board/", views.index, name="board-index"),
    path("jobs/<int:job_id>/board/", views.job_board, name="job-board"),
]

