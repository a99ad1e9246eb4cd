"""The API on a scaled-out deployment (docs/scale-out.md, README: REST API on
a scaled-out deployment): WF_SCALE_OUT=1.

The "default" database is then the front (workflow_ext_proxy): Django's own
tables (users, tokens, sessions, Membership) live there, in schema "app",
and it names each tenant's shard.  Every request of the API runs on its
tenant's shard, an ordinary workflow_ext database the ORM and the API's
function calls use exactly as on one database (the same SQL, row-level
security, SET LOCAL of the identity):

1. DRF authenticates on the front (the request's transaction there,
   ATOMIC_REQUESTS), the user's Membership gives the tenant;
2. route(): route_tenant(tenant) on the front, in that transaction: the
   tenant's partition, after taking the tenant's lock in share mode until the
   request ends.  move_tenant takes that lock exclusively while it copies the
   tenant, so a move waits for the requests in flight and the requests wait
   for the copy (up to workflow_ext_proxy.move_wait, then 55P03 tenant_moving,
   the API's 503 with Retry-After): no request writes on a shard the tenant
   has left.  That is why the tenant's shard is asked for every request
   rather than cached (a cached placement would let a request write on the
   source after the move copied it: lost in the cleanup); what is cached is
   the connection of each partition (its alias, one per pK, made from
   shard_conninfo() and WF_SHARD_USER/WF_SHARD_PASSWORD, a member of the
   shards' workflow_ext.trusted_role);
3. a transaction on that shard for the rest of the request (committed with
   the response, rolled back on an error), under which every query of the
   request runs (ShardRouter for the ORM, connection() for the rest).

Outside scale-out everything is the "default" database, as before."""
import threading
from contextlib import ExitStack

from django.conf import settings
from django.db import connections, transaction

_local = threading.local()
_lock = threading.Lock()


def enabled():
    return bool(getattr(settings, "WF_SCALE_OUT", False))


def current_alias():
    """The database of the current request's tenant ("default" outside scale-out)."""
    return getattr(_local, "alias", None) or "default"


def connection():
    """The connection every query of the request uses (django.db.connection
    outside scale-out)."""
    return connections[current_alias()]


def parse_conninfo(conninfo):
    """key=value pairs of a libpq connection string (values quoted with '' or plain)."""
    out, i, s = {}, 0, conninfo.strip()
    while i < len(s):
        eq = s.index("=", i)
        key = s[i:eq].strip()
        i = eq + 1
        while i < len(s) and s[i] == " ":
            i += 1
        if i < len(s) and s[i] == "'":
            i += 1
            value = []
            while s[i] != "'":
                if s[i] == "\\":
                    i += 1
                value.append(s[i])
                i += 1
            i += 1
            value = "".join(value)
        else:
            j = s.find(" ", i)
            j = len(s) if j < 0 else j
            value, i = s[i:j], j
        out[key] = value
        while i < len(s) and s[i] == " ":
            i += 1
    return out


def alias_for(partition, conninfo):
    """The database alias of partition pK (made on first use; made again if
    the front's connection string for it changed)."""
    alias = "shard_%s" % partition
    with _lock:
        known = connections.databases.get(alias)
        if known is None or known.get("WF_CONNINFO") != conninfo:
            ci = parse_conninfo(conninfo)
            options = {k: v for k, v in ci.items() if k not in ("host", "port", "dbname", "user", "password")}
            connections.databases[alias] = {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": ci.get("dbname", ""),
                "HOST": ci.get("host", ""),
                "PORT": ci.get("port", ""),
                "USER": settings.WF_SHARD_USER,
                "PASSWORD": settings.WF_SHARD_PASSWORD,
                "OPTIONS": options,
                # the request's transaction on the shard is opened by route()
                "ATOMIC_REQUESTS": False,
                "DISABLE_SERVER_SIDE_CURSORS": True,
                "WF_CONNINFO": conninfo,
            }
            connections.ensure_defaults(alias)
            connections.prepare_test_settings(alias)
    # Each thread has its own connection, made with the settings of its time:
    # every thread, not only the one that saw the change first, makes its
    # connection again when the partition's connection string changed.
    mine = getattr(connections._connections, alias, None)
    if mine is not None and mine.settings_dict.get("WF_CONNINFO") != conninfo:
        mine.close()
        delattr(connections._connections, alias)
    return alias


def route(tenant, scope):
    """Steps 2 and 3: the tenant's shard (its lock held on the front until the
    request ends), a transaction there entered in scope; the alias."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT p, shard_conninfo(p) FROM route_tenant(%s) p", [tenant])
        partition, conninfo = cursor.fetchone()
    alias = alias_for("p%d" % partition, conninfo)
    scope.enter_context(transaction.atomic(using=alias))
    _local.alias = alias
    return alias


class RequestScope(ExitStack):
    """One request's shard transaction: left with the request (rolled back
    when the response is an error or an exception escapes)."""

    def __exit__(self, *exc):
        try:
            return super().__exit__(*exc)
        finally:
            _local.alias = None

    def rollback(self):
        alias = getattr(_local, "alias", None)
        if alias and connections[alias].in_atomic_block:
            transaction.set_rollback(True, using=alias)


class ShardRouter:
    """The extension's tables and views (the workflows app's unmanaged
    models) on the request's shard; Django's own tables and Membership on
    the front ("default"), where alone migrations run."""

    def _db(self, model):
        if model._meta.app_label == "workflows" and not model._meta.managed:
            return current_alias()
        return "default"

    def db_for_read(self, model, **hints):
        return self._db(model)

    def db_for_write(self, model, **hints):
        return self._db(model)

    def allow_relation(self, obj1, obj2, **hints):
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
