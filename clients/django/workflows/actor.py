"""Who is acting, set once per request: every view of the API derives from
ActorMixin, which runs after DRF has authenticated the request and sets
workflow_ext.actor = 'user:<id>' with SET LOCAL inside the request's
transaction (ATOMIC_REQUESTS), so the extension's row-level security decides
what the user sees and may change.  The database refuses every write without
an actor (workflow_ext.require_actor, set on the database), so a view that
forgot would fail closed with 42501."""
from contextlib import contextmanager

from django.db import connection, transaction


def actor_of(user):
    return "user:%d" % user.pk


def set_actor(actor):
    """SET LOCAL workflow_ext.actor: lasts until the current transaction ends."""
    if not connection.in_atomic_block:
        raise RuntimeError("set_actor outside a transaction would not last")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('workflow_ext.actor', %s, true)", [actor])


@contextmanager
def acting_as(user_or_actor):
    """One transaction acting as a user (or a literal actor string), for code
    outside a request: scripts, tests, the demo data."""
    actor = user_or_actor if isinstance(user_or_actor, str) else actor_of(user_or_actor)
    with transaction.atomic():
        set_actor(actor)
        yield


class ActorMixin:
    """For every APIView and ViewSet of the API: authentication and permission
    checks first (401/403 without credentials), then the actor."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        set_actor(actor_of(request.user))
