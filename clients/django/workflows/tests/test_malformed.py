"""Malformed input to every route of the URLconf (walked from Django's
resolver, so a new route without cases here fails): wrong methods, ids out of
bigint range, negative and not numeric, missing and unknown fields, wrong
types for every field of the route's serializer, broken JSON, bad query
parameters, no credentials, and another organization's ids.  Each answer must
be the documented code with the one error body (README: REST API) -- never a
500."""
from django.test import SimpleTestCase
from rest_framework.test import APIClient

from .helpers import client_for, jsonb, make_user, new_id, new_org, sql
from .routes import METHODS, api_routes, serializer_of
from .test_pipeline_api import BLOCK

HUGE = 2 ** 63
FILTERS = {   # list route -> query parameters of its filters (ids, choices)
    "/workflows/": {},
    "/workflows/offers/": {},
    "/stages/": {"workflow": "id"},
    "/rules/": {"stage": "id"},
    "/alerts/": {"stage": "id"},
    "/pipeline/": {"job": "id", "candidate": "id", "status": "choice"},
    "/rejection-reasons/": {"kind": "choice"},
    "/jobs/": {"workflow": "id"},
    "/jobs/{job_id}/pipeline/": {"stage": "id", "status": "choice"},
    "/jobs/{job_id}/history/": {"candidate": "id"},
    "/jobs/{job_id}/candidates/{candidate_id}/history/": {},
    "/alert-events/": {"job": "id", "candidate": "id", "stage": "id"},
    "/workflows/{workflow_id}/shares/": {},
}
# Candidate ids are each organization's own: another organization's id names
# another candidate (its own, empty), never a 404.
NOT_ANOTHER_ORGS = {"/candidates/{candidate_id}/facts/"}


def bad_values(field):
    """Values of the wrong type (or range) for a serializer field."""
    from rest_framework import fields
    from workflows.ids import BigIdField
    if isinstance(field, BigIdField):
        return ["abc", HUGE, -1, 0, 1.5]
    if isinstance(field, fields.IntegerField):
        return ["abc", HUGE]
    if isinstance(field, fields.BooleanField):
        return ["maybe", [1]]
    if isinstance(field, fields.ChoiceField):
        return ["no-such-choice"]
    if isinstance(field, fields.CharField):
        return [{"a": 1}, ["x"]]
    if isinstance(field, fields.ListField):
        return ["x", ["abc"], [HUGE]]
    if isinstance(field, fields.DictField):
        return [[1], "x"]
    if isinstance(field, (fields.DateTimeField, fields.DurationField)):
        return ["yesterday"]
    return []                                   # JSON: any value is a value


class Malformed(SimpleTestCase):
    databases = {"default"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        org = new_org("acme")
        cls.ann = make_user("ann", org)
        cls.cole = make_user("cole", org)
        cls.zed = make_user("zed", new_org("other"))
        api = client_for(cls.ann)

        def ok(response, code=200):
            assert response.status_code == code, (response.status_code, response.content)
            return response.json()

        wf = ok(api.post("/workflows/", {"name": "Malformed"}, format="json"), 201)["id"]
        stages = [ok(api.post("/stages/", {"workflow_id": wf, "name": n, "position": i + 1}, format="json"), 201)["id"]
                  for i, n in enumerate(["A", "B", "C"])]
        rule = ok(api.post("/rules/", {"stage_id": stages[1], "name": "r", "on_fail": "warn",
                                       "condition": BLOCK}, format="json"), 201)
        job, candidate = new_id(), new_id()
        ok(api.post("/workflows/%d/assign/" % wf, {"job_id": job}, format="json"))
        ok(api.post("/jobs/%d/candidates/" % job, {"candidate_id": candidate}, format="json"), 201)
        ok(api.post("/jobs/%d/candidates/%d/move/" % (job, candidate), {}, format="json"))
        share = ok(api.post("/workflows/%d/shares/" % wf, {"username": cls.cole.username}, format="json"), 201)
        reason = ok(api.post("/rejection-reasons/", {"code": "skills", "label": "Skills", "kind": "rejected"},
                             format="json"), 201)
        event = ok(api.get("/alert-events/?job=%d" % job))["results"][0]["id"]
        row = ok(api.get("/pipeline/?job=%d" % job))["results"][0]["id"]
        cls.ids = {"workflow_id": wf, "stage_id": stages[0], "job_id": job, "candidate_id": candidate,
                   "share_id": share["id"], "alert_event_id": event}
        cls.pks = {"/workflows/": wf, "/stages/": stages[0], "/rules/": rule["id"],
                   "/alerts/": rule["alerts"][0]["id"], "/pipeline/": row,
                   "/rejection-reasons/": reason["id"], "/alert-events/": event}
        cls.stages = stages
        # bodies that pass validation, for the other organization's attempts
        cls.valid = {
            ("/workflows/{pk}/", "put"): {"name": "x"}, ("/workflows/{pk}/", "patch"): {"name": "x"},
            ("/workflows/{pk}/assign/", "post"): {"job_id": new_id()},
            ("/workflows/{pk}/share/", "post"): {"username": cls.zed.username},
            ("/workflows/{pk}/share/", "delete"): {"username": cls.cole.username},
            ("/workflows/{workflow_id}/shares/", "post"): {"username": cls.zed.username},
            ("/workflows/{pk}/clone/", "post"): {"name": "copy"},
            ("/workflows/{pk}/reorder/", "post"): {"stage_ids": stages},
            ("/stages/{pk}/", "put"): {"workflow_id": wf, "name": "x", "position": 1},
            ("/stages/{pk}/", "patch"): {"name": "x"},
            ("/rules/{pk}/", "put"): {"stage_id": stages[1], "name": "x", "condition": BLOCK},
            ("/rules/{pk}/", "patch"): {"name": "x"},
            ("/alerts/{pk}/", "put"): {"stage_id": stages[1], "field_name": "a", "operator": "eq", "value": 1},
            ("/alerts/{pk}/", "patch"): {"message": "x"},
            ("/pipeline/{pk}/", "put"): {"job_id": job, "candidate_id": candidate},
            ("/pipeline/{pk}/", "patch"): {"status": "rejected"},
            ("/rejection-reasons/{pk}/", "put"): {"code": "x", "label": "x", "kind": "rejected"},
            ("/rejection-reasons/{pk}/", "patch"): {"active": False},
            ("/jobs/{job_id}/candidates/", "post"): {"candidate_id": new_id()},
            ("/jobs/{job_id}/move/", "post"): {"candidate_ids": [candidate]},
            ("/jobs/{job_id}/facts/", "put"): {"attributes": {"budget": 1}},
            ("/jobs/{job_id}/candidates/{candidate_id}/transfer/", "post"): {"to_job_id": job},
            ("/jobs/{job_id}/candidates/{candidate_id}/facts/", "put"): {"attributes": {"x": 1}},
            ("/candidates/{candidate_id}/facts/", "put"): {"attributes": {"x": 1}},
        }
        cls.routes = api_routes()

    def url(self, template, **override):
        values = dict(self.ids)
        for prefix, pk in self.pks.items():
            if template.startswith(prefix + "{pk}"):
                values["pk"] = pk
        values.update(override)
        return template.format(**values)

    def send(self, client, method, url, data=None, raw=None):
        if raw is not None:
            return getattr(client, method)(url, raw, content_type="application/json")
        if data is None and method in ("get", "delete"):
            return getattr(client, method)(url)
        return getattr(client, method)(url, data if data is not None else {}, format="json")

    def expect(self, response, status, code, what):
        self.assertNotEqual(response.status_code, 500, what)
        self.assertEqual(response.status_code, status, (what, response.content[:400]))
        body = response.json()
        self.assertEqual(body.get("code"), code, (what, body))
        self.assertIsInstance(body.get("detail"), str, (what, body))
        return body

    def test_the_cases_cover_every_route(self):
        self.assertGreater(len(self.routes), 40)
        # every list route's filters are listed; every write of a route with ids has a valid body
        api = client_for(self.ann)
        lists = [t for t, (cb, methods) in self.routes.items() if "get" in methods
                 and set(api.get(self.url(t)).json()) == {"count", "next", "previous", "results"}]
        self.assertEqual(sorted(lists), sorted(FILTERS))
        for template, (callback, methods) in self.routes.items():
            for method in methods:
                ser = serializer_of(callback, method) if method in ("post", "put", "patch") else None
                if "{" in template and ser is not None and any(
                        f.required for f in ser().fields.values()):
                    self.assertIn((template, method), self.valid, (template, method))

    def test_wrong_methods_are_405(self):
        api = client_for(self.ann)
        for template, (callback, methods) in self.routes.items():
            for method in METHODS:
                if method not in methods:
                    self.expect(self.send(api, method, self.url(template)), 405, "method_not_allowed",
                                (method, template))

    def test_no_credentials_is_401(self):
        anonymous = APIClient()
        for template, (callback, methods) in self.routes.items():
            for method in methods:
                self.expect(self.send(anonymous, method, self.url(template)), 401, "not_authenticated",
                            (method, template))

    def test_ids_out_of_range_are_400_and_not_numbers_404(self):
        api = client_for(self.ann)
        for template, (callback, methods) in self.routes.items():
            params = [p for p in ("pk", "workflow_id", "stage_id", "job_id", "candidate_id", "share_id",
                                  "alert_event_id") if "{%s}" % p in template]
            for param in params:
                for method in methods:
                    for value in (HUGE, 10 ** 30, -1, 0):
                        self.expect(self.send(api, method, self.url(template, **{param: value})), 400,
                                    "invalid_id", (method, template, param, value))
                    for value in ("abc", "1.5", "1e3"):
                        self.expect(self.send(api, method, self.url(template, **{param: value})), 404,
                                    "not_found", (method, template, param, value))

    def test_bodies_unknown_missing_wrong_types_and_broken_json_are_400(self):
        api = client_for(self.ann)
        for template, (callback, methods) in self.routes.items():
            for method in methods:
                if method not in ("post", "put", "patch"):
                    continue
                url = self.url(template)
                what = (method, template)
                body = self.expect(self.send(api, method, url, raw='{"candidate_id": '), 400, "parse_error", what)
                body = self.expect(self.send(api, method, url, raw='[1, 2]'), 400, "invalid", what)
                body = self.expect(self.send(api, method, url, raw='[' * 50000), 400, "parse_error", what)
                body = self.expect(self.send(api, method, url, {"bogus_field": 1}), 400, "invalid", what)
                self.assertEqual(list(body["errors"]), ["bogus_field"], what)
                ser = serializer_of(callback, method)
                self.assertIsNotNone(ser, what)
                fields = {n: f for n, f in ser().fields.items() if not f.read_only}
                required = [n for n, f in fields.items() if f.required]
                if required and method != "patch":
                    body = self.expect(self.send(api, method, url, {}), 400, "invalid", what)
                    self.assertTrue(set(required) <= set(body["errors"]) or "non_field_errors" in body["errors"],
                                    (what, body))
                for name, field in fields.items():
                    for value in bad_values(field):
                        body = self.expect(self.send(api, method, url, {name: value}), 400, "invalid",
                                           (what, name, value))
                        self.assertIn(name, body["errors"], (what, name, value))

    def test_values_postgresql_cannot_store_are_400(self):
        api = client_for(self.ann)
        nul = {"a": "x\u0000y"}
        for method, template, body in [
                ("put", "/candidates/{candidate_id}/facts/", {"attributes": nul}),
                ("put", "/jobs/{job_id}/facts/", {"attributes": nul}),
                ("put", "/jobs/{job_id}/candidates/{candidate_id}/facts/", {"attributes": nul}),
                ("patch", "/stages/{pk}/", {"config": nul}),
                ("patch", "/alerts/{pk}/", {"value": "x\u0000y"})]:
            body = self.expect(self.send(api, method, self.url(template), body), 400, "22P05", (method, template))
            self.assertEqual(body["reason"], "invalid_value")
        for template in ("/workflows/", "/rejection-reasons/"):
            body = self.expect(api.post(template, {"name": "a\u0000b", "code": "a\u0000", "label": "x",
                                                   "kind": "rejected"}, format="json"), 400, "invalid", template)

    def test_bad_query_parameters_are_400(self):
        api = client_for(self.ann)
        for template, params in FILTERS.items():
            url = self.url(template)
            for param, kind in params.items():
                values = ["abc", str(HUGE), "-1", "0", "1.5"] if kind == "id" else ["no-such-choice"]
                for value in values:
                    body = self.expect(api.get(url, {param: value}), 400, "invalid", (template, param, value))
                    self.assertIn(param, body["errors"])
            self.expect(api.get(url, {"page": "abc"}), 404, "not_found", (template, "page"))
            self.expect(api.get(url, {"page": "99999"}), 404, "not_found", (template, "page"))
        for query in ({"limit": "0"}, {"limit": "abc"}, {"limit": str(HUGE)}, {"cursor": "x"},
                      {"cursor": "1:2"}, {"cursor": "%d:0:0" % HUGE}):
            self.expect(api.get("/events/", query), 400, "invalid", query)
        for query in ({"since": "yesterday"}, {"until": "2020-13-45"}):
            self.expect(api.get(self.url("/jobs/{job_id}/funnel/"), query), 400, "invalid", query)

    def test_another_organizations_ids_are_404(self):
        zed = client_for(self.zed)
        for template, (callback, methods) in self.routes.items():
            if "{" not in template or template in NOT_ANOTHER_ORGS:
                continue
            for method in methods:
                response = self.send(zed, method, self.url(template), self.valid.get((template, method), {}))
                body = self.expect(response, 404, response.json().get("code"), (method, template))
                self.assertIn(body["code"], ("not_found", "P0002"), (method, template))
        # ann's things are all still there
        api = client_for(self.ann)
        self.assertEqual(api.get(self.url("/workflows/{pk}/")).json()["name"], "Malformed")
        self.assertEqual(api.get(self.url("/jobs/{job_id}/candidates/{candidate_id}/")).status_code, 200)
