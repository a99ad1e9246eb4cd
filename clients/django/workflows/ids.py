"""Ids are PostgreSQL bigints: every id the API takes, in a path, a body or a
query parameter, is checked to lie in 1 .. 2^63-1 before it reaches the
database (psycopg2 would send a larger Python int as numeric, and no function
of the extension takes numeric: that was a 500)."""
from django import forms
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework import status
from rest_framework.exceptions import APIException

BIGINT_MAX = 2 ** 63 - 1


class BigIdField(serializers.IntegerField):
    """An id in a request body: an integer in 1 .. 2^63-1 (400 otherwise)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(**kwargs)


class BigIdFilter(filters.Filter):
    """An id in a query parameter (?workflow=, ?job=, ...): 400 when not an
    integer in 1 .. 2^63-1."""
    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class IdConverter:
    """<id:name> in a route: digits with an optional minus sign; the view
    checks the range (400 code invalid_id), anything else is no route (404)."""
    regex = "-?[0-9]+"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


class InvalidId(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid_id"
    default_detail = "not an id"


def check_path_ids(kwargs):
    """400 invalid_id for an id of the path outside 1 .. 2^63-1."""
    for name, value in kwargs.items():
        if name == "pk" or name.endswith("_id"):
            try:
                number = int(value)
            except (TypeError, ValueError):
                continue
            if not 1 <= number <= BIGINT_MAX:
                raise InvalidId("%s %s is not an id: ids are integers from 1 to %d"
                                % (name, value, BIGINT_MAX))
