"""The pipeline board's pages: plain HTML that loads board.js, which does
everything else through the REST API with the browser's session (DRF's
SessionAuthentication; the CSRF token from the cookie these pages set).  The
pages themselves read nothing from the database: what a user may see is what
the API, under the extension's row-level security, gives them."""
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie


@login_required
@ensure_csrf_cookie
def index(request):
    """GET /board/: the jobs the user sees (GET /jobs/), each a link to its board."""
    return render(request, "board/index.html", {"page": "index"})


@login_required
@ensure_csrf_cookie
def job_board(request, job_id):
    """GET /jobs/<job_id>/board/: the job's stages as columns, its candidates as cards."""
    return render(request, "board/board.html", {"page": "board", "job_id": job_id})
