"""What the tests share: users with tokens, unique ids, SQL as a user."""
import itertools
import json
import os
import uuid

from django.contrib.auth.models import User
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from workflows.actor import acting_as

# Job and candidate ids unique to this run (the database outlives one test;
# ids are unique within a tenant, and every test user is a tenant of its own,
# but fresh ids keep one test's rows apart from another's).
_ids = itertools.count(int.from_bytes(os.urandom(3), "big") * 1000 + 1)


def new_id():
    return next(_ids)


def make_user(prefix="user", organization=None, is_admin=False):
    """A user with a token; with an organization, a Membership (its tenant is
    'org:<organization>'), else a tenant of its own."""
    from workflows.models import Membership
    user = User.objects.create_user("%s-%s" % (prefix, uuid.uuid4().hex[:10]), password="pw")
    user.token = Token.objects.create(user=user).key
    if organization is not None:
        Membership.objects.create(user=user, organization=organization, is_admin=is_admin)
    return user


def new_org(prefix="org"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def client_for(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + user.token)
    return client


def sql(user, statement, params=()):
    """Run one statement in its own transaction as the user; rows as tuples."""
    with acting_as(user):
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []


def sql_one(user, statement, params=()):
    rows = sql(user, statement, params)
    return rows[0][0] if rows else None


def jsonb(value):
    return json.dumps(value)
