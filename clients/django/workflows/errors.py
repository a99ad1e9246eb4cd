"""The one mapping from the extension's SQLSTATEs to HTTP (README: Errors).
Every view raises what the database raised; DRF hands it here.

  P0002 no_data_found                       404
  23514 check_violation (a blocking rule)   409, the failed leaves (the DETAIL's "failed") in "failed"
        (a table's own CHECK constraint)    400, the constraint in "constraint"
  55000 object_not_in_prerequisite_state    409
  40001 serialization_failure (stale row)   409
  23505 / 23503 unique / foreign key        409
  22023 invalid_parameter_value             400, the JSON path in "path"
  42501 insufficient_privilege              403

The body always has "detail" (the extension's message, which names the
object) and "code" (the SQLSTATE); an error of the extension adds "reason"
and the other members of its JSON DETAIL (README: Errors)."""
import json

import psycopg2
from django.db import DatabaseError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

STATUS_BY_SQLSTATE = {
    "P0002": status.HTTP_404_NOT_FOUND,
    "23514": status.HTTP_409_CONFLICT,
    "55000": status.HTTP_409_CONFLICT,
    "40001": status.HTTP_409_CONFLICT,
    "23505": status.HTTP_409_CONFLICT,
    "23503": status.HTTP_409_CONFLICT,
    "22023": status.HTTP_400_BAD_REQUEST,
    "42501": status.HTTP_403_FORBIDDEN,
}



def postgres_error(exc):
    """The psycopg2 error behind a Django DatabaseError, or None."""
    seen = exc
    while seen is not None:
        if isinstance(seen, psycopg2.Error) and seen.pgcode:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def error_body(pgerr):
    diag = pgerr.diag
    body = {"detail": diag.message_primary, "code": pgerr.pgcode}
    detail = diag.message_detail
    reasoned = None
    if detail and detail.startswith("{"):
        try:
            reasoned = json.loads(detail)
        except ValueError:
            reasoned = None
    if pgerr.pgcode == "23514" and diag.constraint_name:
        body["constraint"] = diag.constraint_name
    elif isinstance(reasoned, dict) and "reason" in reasoned:
        # the extension's DETAIL: {"reason": ..., more members} (failed, path, ...)
        for key, value in reasoned.items():
            body.setdefault(key, value)
        if pgerr.pgcode == "22023":
            body["path_detail"] = detail
    elif detail:
        body["detail_text"] = detail
    if diag.message_hint:
        body["hint"] = diag.message_hint
    return body


def http_status(pgerr):
    if pgerr.pgcode == "23514" and pgerr.diag.constraint_name:
        return status.HTTP_400_BAD_REQUEST      # bad input for a column, not a rule
    return STATUS_BY_SQLSTATE[pgerr.pgcode]


def exception_handler(exc, context):
    if isinstance(exc, DatabaseError):
        pgerr = postgres_error(exc)
        if pgerr is not None and pgerr.pgcode in STATUS_BY_SQLSTATE:
            set_rollback()
            return Response(error_body(pgerr), status=http_status(pgerr))
        return None                 # anything else is a server error (500)
    return drf_exception_handler(exc, context)
