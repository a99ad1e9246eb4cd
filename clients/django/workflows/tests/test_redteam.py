"""Found by attacking the API from outside (a review of issue 20): each test
is the repro of a finding, kept so that it cannot come back.

- The browsable API's page of a list queried the database after the
  request's transaction had ended (Django renders after the view), without
  the identity: jobs/<id>/pipeline/ and the histories were 500s
  (actor_required), workflows/<id>/shares/ an AssertionError (no queryset).
- A NUL character in the token or in the session cookie was a 500 on every
  route (psycopg2 refuses a NUL in a string) before any view ran.
- The pages could be framed by another site (clickjacking the board's drags
  and buttons, which write with the session).
- PUT jobs/<id>/facts/ by a grantee of another organization answered 200 with
  the job's (unchanged) facts, having written a job_profile row of its own
  tenant for that id, which the job never reads: now 403 other_tenant_facts,
  as for an application's facts.
- ?format=api / ?format=json (the browsable API's own parameter) was an
  unknown field (400) on the funnel, the event feed and a removal's query.
- The event feed's "next" dropped ?limit= (the next page was 100 events).
- A Host not in ALLOWED_HOSTS was Django's HTML 400, not the error body.
- A form or multipart PUT of facts (attributes=x, or no field at all)
  replaced the facts with {} and answered 200: DRF's DictField reads a form
  without "attributes.<key>" fields as an empty object.  Facts take JSON only
  (415 otherwise), and an empty body's missing attributes is a 400."""
from rest_framework.test import APIClient

from .helpers import sql
from .routes import api_routes
from .test_pipeline_api import OrgTestCase


class RedTeam(OrgTestCase):
    def ids(self):
        """A board with a moved candidate, an alert event and a share: ids for every route."""
        b = self.board()
        api, job, strong = self.api, b["job"], b["strong"]
        for _ in range(2):                          # Screen, then Onsite: its warn rule raises an alert
            self.ok(api.post("/jobs/%d/candidates/%d/move/" % (job, strong), {}, format="json"))
        event = self.items(api.get("/alert-events/?job=%d" % job))[0]["id"]
        share = self.ok(api.post("/workflows/%d/shares/" % b["wf"], {"username": self.cole.username},
                                 format="json"), 201)["id"]
        reason = self.ok(api.post("/rejection-reasons/", {"code": "rt-skills", "label": "Skills",
                                                          "kind": "rejected"}, format="json"), 201)["id"]
        rule = self.items(api.get("/rules/?stage=%d" % b["stages"][1]))[0]
        row = self.items(api.get("/pipeline/?job=%d" % job))[0]["id"]
        ids = {"workflow_id": b["wf"], "stage_id": b["stages"][1], "job_id": job, "candidate_id": strong,
               "share_id": share, "alert_event_id": event}
        pks = {"/workflows/": b["wf"], "/stages/": b["stages"][1], "/rules/": rule["id"],
               "/alerts/": rule["alerts"][0]["id"], "/pipeline/": row, "/rejection-reasons/": reason,
               "/alert-events/": event}
        return ids, pks

    def test_the_browsable_api_renders_every_get_route(self):
        ids, pks = self.ids()
        browser = APIClient()
        browser.force_login(self.ann)
        for template, (callback, methods) in api_routes().items():
            if "get" not in methods:
                continue
            values = dict(ids)
            values.update({"pk": pk for prefix, pk in pks.items() if template.startswith(prefix + "{pk}")})
            url = template.format(**values)
            for query in ("", "?format=api"):
                response = browser.get(url + query, HTTP_ACCEPT="text/html")
                self.assertEqual(response.status_code, 200, (url, query, response.content[:300]))
                self.assertIn(b"<html", response.content, url)
        # the filter form of the pipeline's page lists the job's stages under the user's identity
        page = browser.get("/jobs/%d/pipeline/" % ids["job_id"], HTTP_ACCEPT="text/html")
        self.assertContains(page, 'name="status"')
        # an error's page renders too (its transaction is rolled back: no query)
        response = browser.get("/jobs/%d/pipeline/?stage=abc" % ids["job_id"], HTTP_ACCEPT="text/html")
        self.assertEqual(response.status_code, 400)
        response = browser.get("/jobs/1/pipeline/", HTTP_ACCEPT="text/html")
        self.assertEqual(response.status_code, 404)
        # another organization's user gets the 404 page, not the rows
        zed = APIClient()
        zed.force_login(self.zed)
        response = zed.get("/jobs/%d/pipeline/" % ids["job_id"], HTTP_ACCEPT="text/html")
        self.assertEqual(response.status_code, 404)
        self.assertNotIn(str(ids["candidate_id"]).encode(), response.content)

    def test_a_nul_in_the_token_or_the_session_cookie_is_not_a_500(self):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token abc\x00def")
        response = client.get("/jobs/")
        self.assertEqual(response.status_code, 401)
        self.assertEqual(response.json()["code"], "authentication_failed")
        # Django unquotes "\000" in a quoted cookie value: a NUL in the session key
        for path, status in (("/jobs/", 401), ("/board/", 302), ("/api-auth/login/", 200)):
            client = APIClient()
            client.cookies["sessionid"] = "abcdefgh\x00ijkl"
            self.assertIn("\\000", client.cookies.output())
            response = client.get(path)
            self.assertEqual(response.status_code, status, (path, response.content[:200]))
        # a good session still works
        client = APIClient()
        client.force_login(self.ann)
        self.assertEqual(client.get("/jobs/").status_code, 200)

    def test_no_page_may_be_framed(self):
        client = APIClient()
        client.force_login(self.ann)
        for path in ("/board/", "/jobs/1/board/", "/jobs/", "/api-auth/login/"):
            response = client.get(path, HTTP_ACCEPT="text/html")
            self.assertEqual(response["X-Frame-Options"], "DENY", path)
            self.assertEqual(response["X-Content-Type-Options"], "nosniff", path)

    def test_a_shared_jobs_facts_are_not_written_by_another_organization(self):
        b = self.board()
        self.ok(self.api.put("/jobs/%d/facts/" % b["job"], {"attributes": {"budget": 100}}, format="json"))
        self.ok(self.api.post("/workflows/%d/shares/" % b["wf"], {"username": self.zed.username,
                                                                  "can_edit": True}, format="json"), 201)
        self.ok(self.zed_api.post("/workflows/%d/accept/" % b["wf"]))
        self.ok(self.zed_api.get("/jobs/%d/" % b["job"]))            # the shared job is the zed's to work
        response = self.zed_api.put("/jobs/%d/facts/" % b["job"], {"attributes": {"budget": 1}}, format="json")
        self.assertEqual(response.status_code, 403, response.content)
        self.assertEqual((response.json()["code"], response.json()["reason"]),
                         ("permission_denied", "other_tenant_facts"))
        # nothing written, in either tenant
        self.assertEqual(sql(self.zed, "SELECT count(*) FROM job_profile WHERE job_id = %s", [b["job"]]), [(0,)])
        self.assertEqual(self.ok(self.api.get("/jobs/%d/facts/" % b["job"]))["attributes"], {"budget": 100})
        # the job's own tenant still writes them
        self.assertEqual(self.ok(self.api.put("/jobs/%d/facts/" % b["job"], {"attributes": {"budget": 7}},
                                              format="json"))["attributes"], {"budget": 7})

    def test_the_format_parameter_is_not_an_unknown_field(self):
        b = self.board()
        for fmt in ("json", "api"):
            for url in ("/jobs/%d/funnel/" % b["job"], "/events/"):
                response = self.api.get(url + "?format=" + fmt)
                self.assertEqual(response.status_code, 200, (url, fmt, response.content[:200]))
            self.assertEqual(self.api.get("/jobs/%d/funnel/?format=json&bogus=1" % b["job"]).status_code, 400)
        response = self.api.delete("/jobs/%d/candidates/%d/?format=json&reason=gone" % (b["job"], b["weak"]))
        self.assertEqual(response.status_code, 204, response.content)
        history = self.items(self.api.get("/jobs/%d/candidates/%d/history/" % (b["job"], b["weak"])))
        self.assertEqual((history[-1]["to_status"], history[-1]["reason"]), ("removed", "gone"))

    def test_the_feeds_next_page_keeps_the_limit(self):
        b = self.board()
        page = self.ok(self.api.get("/events/?limit=1"))
        self.assertEqual(len(page["results"]), 1)
        self.assertTrue(page["next"].endswith("/events/?cursor=%s&limit=1" % page["cursor"]), page["next"])
        second = self.ok(self.api.get(page["next"].replace("http://testserver", "")))
        self.assertEqual(len(second["results"]), 1)
        self.assertNotEqual(second["results"][0]["cursor"], page["results"][0]["cursor"])
        self.assertTrue(self.ok(self.api.get("/events/"))["next"].endswith("?cursor=%s"
                                                                            % self.ok(self.api.get("/events/"))["cursor"]))

    def test_a_bad_host_is_the_error_body(self):
        response = self.api.get("/jobs/", HTTP_HOST="evil.example")
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), {"detail": "bad request", "code": "bad_request"})

    def test_facts_are_not_replaced_by_a_form_body(self):
        b = self.board()
        self.ok(self.api.put("/jobs/%d/facts/" % b["job"], {"attributes": {"budget": 100}}, format="json"))
        self.ok(self.api.put("/jobs/%d/candidates/%d/facts/" % (b["job"], b["strong"]),
                             {"attributes": {"score": 4}}, format="json"))
        urls = ["/candidates/%d/facts/" % b["strong"], "/jobs/%d/facts/" % b["job"],
                "/jobs/%d/candidates/%d/facts/" % (b["job"], b["strong"])]
        before = [self.ok(self.api.get(url)) for url in urls]
        for url in urls:
            for body, content_type in (("attributes=x", "application/x-www-form-urlencoded"),
                                       ("", "application/x-www-form-urlencoded"),
                                       ("attributes.years_experience=9", "application/x-www-form-urlencoded"),
                                       ("--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--b--\r\n",
                                        "multipart/form-data; boundary=b")):
                response = self.api.put(url, body, content_type=content_type)
                if body:
                    self.assertEqual(response.status_code, 415, (url, body, response.content))
                    self.assertEqual(response.json()["code"], "unsupported_media_type")
                else:                           # no body, no parser: the field is missing
                    self.assertEqual(response.status_code, 400, (url, body, response.content))
                    self.assertEqual(list(response.json()["errors"]), ["attributes"])
        self.assertEqual([self.ok(self.api.get(url)) for url in urls], before)
        self.assertEqual(before[0]["attributes"], {"years_experience": 5, "location": "berlin"})
