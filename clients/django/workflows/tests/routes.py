"""Every route of the URLconf, found by walking Django's resolver (not DRF's
schema generator, which the schema test checks against it): its path as a
template ("/jobs/{job_id}/"), the view class, and the methods it answers."""
import re

from django.urls import URLPattern, URLResolver, get_resolver

NOT_API = ("/api-auth/", "/schema/")
METHODS = ("get", "post", "put", "patch", "delete")


def template(pattern):
    text = str(pattern.pattern)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
    text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
    return text.lstrip("^").rstrip("$").replace("\\", "")


def walk(patterns=None, prefix="/"):
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(p, URLResolver):
            yield from walk(p.url_patterns, prefix + template(p))
        elif isinstance(p, URLPattern):
            yield prefix + template(p), p.callback


def methods_of(callback):
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    actions = getattr(callback, "actions", None)
    if actions is not None:
        return sorted(m for m in actions if m in METHODS and m in cls.http_method_names)
    if cls is None:
        return []
    return sorted(m for m in METHODS if hasattr(cls, m) and m in cls.http_method_names)


def api_routes():
    """{path template: (callback, [methods])} of every route of the API."""
    routes = {}
    for path, callback in walk():
        if path == "/" or path.startswith(NOT_API):
            continue
        if getattr(callback, "cls", None) is None:   # not a DRF view: the board's HTML pages
            continue
        routes[path] = (callback, methods_of(callback))
    return routes


def serializer_of(callback, method):
    """The serializer class a write validates its body with, or None."""
    cls = callback.cls
    actions = getattr(callback, "actions", None)
    if actions is not None:
        handler = getattr(cls, actions[method])
        kwargs = getattr(handler, "kwargs", {})
        if "serializer_class" in kwargs:
            return kwargs["serializer_class"]
        if actions[method] in ("create", "update", "partial_update"):
            view = cls(action=actions[method], kwargs={}, format_kwarg=None)
            view.request = None
            return view.get_serializer_class()
        return None
    initkwargs = getattr(callback, "initkwargs", {})
    return initkwargs.get("serializer_class", getattr(cls, "serializer_class", None))
