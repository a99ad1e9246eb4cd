"""The one error body of the API, and the one mapping from the extension's
SQLSTATEs to HTTP (README: REST API, Errors).  Every view raises what the
database raised; DRF hands it here, and Django's own 404 and 500 pages are
replaced by the same body (wfapi/urls.py handler404, handler500).

  {"detail": text, "code": stable code, "reason": ..., "failed": [...], ...}

code: DRF's code for a request refused before the database ("invalid",
"invalid_id", "parse_error", "not_found", "method_not_allowed",
"not_authenticated", "permission_denied", "unsupported_media_type",
"not_acceptable", "server_error"), the SQLSTATE
for an error of the database.  reason: the extension's JSON DETAIL reason (and
its other members: stage_id, failed, path, ...); for PostgreSQL's own errors
(a CHECK, a unique key, row-level security) a reason of ours and a text of
ours: PostgreSQL's message (which quotes constraint and policy texts) never
reaches the client.  A ValidationError adds "errors": {field: [messages]}.

  P0002 no_data_found                        404
  23514 check_violation, a blocking rule     409  reason rule_blocked, failed: the leaves
        a table's CHECK constraint           400  reason check_constraint, constraint
  55000 object_not_in_prerequisite_state     409
  40001 serialization_failure                409
  23505 unique_violation                     409
  23503 foreign_key_violation                409
  21000 cardinality_violation                409
  54000 program_limit_exceeded               409
  22023 invalid_parameter_value              400  path (the JSON path), path_detail (the DETAIL, an object)
  42501 insufficient_privilege               403
  55P03 lock_not_available (a tenant being moved to another shard: tenant_moving)
                                             503  Retry-After: 1
  22P05, 22P02, 22003 (a value PostgreSQL cannot store)  400  reason invalid_value
anything else is a 500 (logged with its traceback, body {"detail", "code": "server_error"})."""
import json
import logging

import psycopg2
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

logger = logging.getLogger("workflows.errors")

STATUS_BY_SQLSTATE = {
    "P0002": status.HTTP_404_NOT_FOUND,
    "23514": status.HTTP_409_CONFLICT,
    "55000": status.HTTP_409_CONFLICT,
    "40001": status.HTTP_409_CONFLICT,
    "23505": status.HTTP_409_CONFLICT,
    "23503": status.HTTP_409_CONFLICT,
    "21000": status.HTTP_409_CONFLICT,
    "54000": status.HTTP_409_CONFLICT,
    "22023": status.HTTP_400_BAD_REQUEST,
    "42501": status.HTTP_403_FORBIDDEN,
    "55P03": status.HTTP_503_SERVICE_UNAVAILABLE,
    # values PostgreSQL cannot store, which DRF's types let through (a NUL in a JSON string)
    "22P05": status.HTTP_400_BAD_REQUEST,
    "22P02": status.HTTP_400_BAD_REQUEST,
    "22003": status.HTTP_400_BAD_REQUEST,
}

# PostgreSQL's own errors (no JSON DETAIL of the extension): our reason and text.
OWN_TEXT = {
    "23514": ("check_constraint", "a value is not allowed here (%s)"),
    "23505": ("unique_violation", "this already exists (%s)"),
    "23503": ("foreign_key_violation", "this is still referred to, or refers to nothing (%s)"),
    "42501": ("not_permitted", "you may not write this row"),
    "P0002": ("not_found", "not found"),
    "55000": ("conflict", "the object is not in a state that allows this"),
    "40001": ("serialization_failure", "the row changed concurrently: re-read and retry"),
    "21000": ("ambiguous", "the id names more than one row"),
    "54000": ("limit", "a limit was reached"),
    "22023": ("invalid_parameter_value", "an argument is not valid"),
    "55P03": ("lock_not_available", "busy: retry in a moment"),
    "22P05": ("invalid_value", "a value cannot be stored (a NUL character in a text?)"),
    "22P02": ("invalid_value", "a value is not valid for its type"),
    "22003": ("invalid_value", "a number is out of range"),
}


class ApiError(exceptions.APIException):
    """An error of the API's own with a reason: ApiError(409, "stale_expected_stage", text, reason=...)."""

    def __init__(self, status_code, code, detail, **members):
        super().__init__(detail, code)
        self.status_code = status_code
        self.members = members


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
    detail = diag.message_detail
    reasoned = None
    if detail and detail.startswith("{"):
        try:
            reasoned = json.loads(detail)
        except ValueError:
            reasoned = None
    if isinstance(reasoned, dict) and "reason" in reasoned:
        # the extension's error: its message names the object; its DETAIL's members
        body = {"detail": diag.message_primary, "code": pgerr.pgcode}
        for key, value in reasoned.items():
            body.setdefault(key, value)
        if pgerr.pgcode == "22023":
            body["path_detail"] = reasoned   # the DETAIL itself, as a JSON object (its members are above too)
        if diag.message_hint:
            body["hint"] = diag.message_hint
        return body
    reason, text = OWN_TEXT[pgerr.pgcode]
    body = {"detail": text % (diag.constraint_name or "") if "%s" in text else text,
            "code": pgerr.pgcode, "reason": reason}
    if diag.constraint_name:
        body["constraint"] = diag.constraint_name
    if diag.table_name:
        body["table"] = diag.table_name
    return body


def http_status(pgerr):
    if pgerr.pgcode == "23514" and pgerr.diag.constraint_name:
        return status.HTTP_400_BAD_REQUEST      # bad input for a column, not a rule
    return STATUS_BY_SQLSTATE[pgerr.pgcode]


def first_message(errors):
    """The first message of a ValidationError's detail, with its field."""
    if isinstance(errors, dict):
        for field, value in errors.items():
            message = first_message(value)
            return message if field == "non_field_errors" else "%s: %s" % (field, message)
    if isinstance(errors, list) and errors:
        return first_message(errors[0])
    return str(errors)


def drf_body(exc):
    if isinstance(exc, exceptions.ValidationError):
        return {"detail": first_message(exc.detail), "code": "invalid", "errors": exc.detail}
    codes = exc.get_codes()
    body = {"detail": str(exc.detail), "code": codes if isinstance(codes, str) else exc.default_code}
    body.update(getattr(exc, "members", {}))
    return body


def exception_handler(exc, context):
    if isinstance(exc, DatabaseError):
        pgerr = postgres_error(exc)
        if pgerr is not None and pgerr.pgcode in STATUS_BY_SQLSTATE:
            set_rollback()
            headers = {"Retry-After": "1"} if pgerr.pgcode == "55P03" else {}
            return Response(error_body(pgerr), status=http_status(pgerr), headers=headers)
        return None                 # anything else is a server error (500, logged)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = "%d" % exc.wait
    set_rollback()
    return Response(drf_body(exc), status=exc.status_code, headers=headers)


def not_found_view(request, exception=None):
    """handler404: a path that is no route."""
    return JsonResponse({"detail": "no such route: %s" % request.path, "code": "not_found"},
                        status=404)


def bad_request_view(request, exception=None):
    """handler400: a request Django refuses before any view (a Host not in
    ALLOWED_HOSTS, a broken multipart body): the error body, not Django's HTML."""
    return JsonResponse({"detail": "bad request", "code": "bad_request"}, status=400)


def server_error_view(request):
    """handler500: Django has logged the traceback (django.request)."""
    return JsonResponse({"detail": "server error", "code": "server_error"}, status=500)
