"""Who is acting, set once per request: every view of the API derives from
ActorMixin, which runs after DRF has authenticated the request and sets, with
SET LOCAL inside the request's transaction (ATOMIC_REQUESTS):

  workflow_ext.tenant        'org:<organization>' of the user's Membership,
                             '' (the actor is its own tenant) without one
  workflow_ext.actor         'user:<id>'
  workflow_ext.tenant_admin  'on' for a Membership with is_admin, else 'off'

so the extension's row-level security decides what the user sees and may
change.  All three are set on every request, so nothing of an earlier request
on the same server connection (a pooler's) can apply; SET LOCAL ends with the
transaction, which is all a transaction-mode pooler lends.  The database
refuses every write without an actor (workflow_ext.require_actor, set on the
database), so a view that forgot would fail closed with 42501."""
from contextlib import contextmanager

from django.db import transaction
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response

from . import shards


def actor_of(user):
    return "user:%d" % user.pk


def identity_of(user):
    """(tenant, actor, tenant_admin) of an application user: the tenant from
    its Membership (the application's own user -> organization mapping)."""
    from .models import Membership
    membership = Membership.objects.filter(user_id=user.pk).first()
    if membership is None:
        return "", actor_of(user), False
    return "org:%s" % membership.organization, actor_of(user), membership.is_admin


def tenant_of(user):
    """The tenant a user acts in: its organization's, or its own actor."""
    tenant, actor, _ = identity_of(user)
    return tenant or actor


def set_identity(tenant, actor, tenant_admin=False):
    """SET LOCAL the three settings: they last until the current transaction ends
    (on the request's tenant shard in scale-out: workflows/shards.py)."""
    connection = shards.connection()
    if not connection.in_atomic_block:
        raise RuntimeError("set_actor outside a transaction would not last")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('workflow_ext.tenant', %s, true), "
                       "set_config('workflow_ext.actor', %s, true), "
                       "set_config('workflow_ext.tenant_admin', %s, true)",
                       [tenant, actor, "on" if tenant_admin else "off"])


def set_actor(actor):
    """SET LOCAL workflow_ext.actor alone (no tenant: the actor's own)."""
    set_identity("", actor)


@contextmanager
def acting_as(user_or_actor):
    """One transaction acting as a user (with its organization) or a literal
    actor string, for code outside a request: scripts, tests, the demo data."""
    with transaction.atomic():
        if isinstance(user_or_actor, str):
            set_actor(user_or_actor)
        else:
            set_identity(*identity_of(user_or_actor))
        yield


class ActorMixin:
    """For every APIView and ViewSet of the API: authentication and permission
    checks first (401/403 without credentials), then the ids of the path
    (400 invalid_id outside bigint), then the identity."""

    def dispatch(self, request, *args, **kwargs):
        if not shards.enabled():
            return super().dispatch(request, *args, **kwargs)
        # scale-out: the tenant's shard transaction, entered by initial()
        with shards.RequestScope() as self.shard_scope:
            response = super().dispatch(request, *args, **kwargs)
            if getattr(response, "exception", False) or response.status_code >= 400:
                self.shard_scope.rollback()
            return response

    def initial(self, request, *args, **kwargs):
        from .ids import check_path_ids
        super().initial(request, *args, **kwargs)
        check_path_ids(kwargs)
        identity = identity_of(request.user)
        if shards.enabled():
            shards.route(identity[0] or identity[1], self.shard_scope)
        set_identity(*identity)

    def finalize_response(self, request, response, *args, **kwargs):
        """The browsable API's page queries the database while it renders (the
        list's filter form calls get_queryset(), the forms read the object):
        Django renders after the view's transaction (ATOMIC_REQUESTS) has
        ended, without the identity, where the extension refuses the reads
        (actor_required: a 500).  So such a page is rendered here, inside the
        request's transaction, under the request's identity; JSON needs no
        query and an error's page (its transaction marked for rollback) none."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if (isinstance(response, Response) and isinstance(response.accepted_renderer, BrowsableAPIRenderer)
                and shards.connection().in_atomic_block
                and not transaction.get_rollback(using=shards.current_alias())):
            response.render()
        return response
