"""The pipeline's resources end to end, as users of organizations (each
user's tenant from its Membership): jobs, cards, moves (with warnings and
reasons), bulk moves, status changes with reason codes, transfers, removals,
history, facts, the funnel, alert events, the feed, and the definitions'
clone/reorder/archive and shares by username."""
from django.test import SimpleTestCase

from .helpers import client_for, jsonb, make_user, new_id, new_org, sql

BLOCK = {"all": [{"field": "years_experience", "op": "gte", "value": 3},
                 {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": True}]}


class OrgTestCase(SimpleTestCase):
    databases = {"default"}

    def setUp(self):
        self.org = new_org("acme")
        self.ann = make_user("ann", self.org)
        self.cole = make_user("cole", self.org)
        self.zed = make_user("zed", new_org("other"))
        self.api, self.cole_api, self.zed_api = (client_for(u) for u in (self.ann, self.cole, self.zed))

    def ok(self, response, code=200):
        self.assertEqual(response.status_code, code, getattr(response, "data", response))
        if code == 201:                                     # every 201 says where the new object is
            self.assertTrue(response["Location"].startswith("http://testserver/"), response)
        return response.json() if response.content else None

    def items(self, response):
        body = self.ok(response)
        self.assertEqual(set(body), {"count", "next", "previous", "results"})
        return body["results"]

    def board(self):
        """Applied -> Screen (blocking rule) -> Onsite (warn rule) -> Hired, on a new job,
        a strong and a weak candidate added through the API."""
        api = self.api
        wf = self.ok(api.post("/workflows/", {"name": "Backend"}, format="json"), 201)
        stages = [self.ok(api.post("/stages/", {"workflow_id": wf["id"], "name": n, "position": i + 1,
                                                "kind": k}, format="json"), 201)["id"]
                  for i, (n, k) in enumerate([("Applied", "normal"), ("Screen", "normal"),
                                              ("Onsite", "normal"), ("Hired", "hired")])]
        self.ok(api.post("/rules/", {"stage_id": stages[1], "name": "experienced", "condition": BLOCK},
                         format="json"), 201)
        self.ok(api.post("/rules/", {"stage_id": stages[2], "name": "portfolio", "on_fail": "warn",
                                     "condition": {"field": "portfolio_url", "op": "exists"}},
                         format="json"), 201)
        job = new_id()
        self.ok(api.post("/workflows/%d/assign/" % wf["id"], {"job_id": job}, format="json"))
        strong, weak = new_id(), new_id()
        self.ok(api.put("/candidates/%d/facts/" % strong,
                        {"attributes": {"years_experience": 5, "location": "berlin"}}, format="json"))
        self.ok(api.put("/candidates/%d/facts/" % weak,
                        {"attributes": {"years_experience": 1, "location": "Paris"}}, format="json"))
        for c in (strong, weak):
            r = api.post("/jobs/%d/candidates/" % job, {"candidate_id": c}, format="json")
            self.ok(r, 201)
            self.assertTrue(r["Location"].endswith("/jobs/%d/candidates/%d/" % (job, c)))
        return {"wf": wf["id"], "stages": stages, "job": job, "strong": strong, "weak": weak}


class Jobs(OrgTestCase):
    def test_list_detail_and_cards(self):
        b = self.board()
        jobs = self.items(self.api.get("/jobs/?workflow=%d" % b["wf"]))
        self.assertEqual([(j["id"], j["workflow_id"], j["candidates"]) for j in jobs], [(b["job"], b["wf"], 2)])
        self.ok(self.api.post("/stages/%d/archive/" % b["stages"][2]))
        job = self.ok(self.api.get("/jobs/%d/" % b["job"]))
        self.assertEqual([(s["id"], s["position"], s["archived"]) for s in job["stages"]],
                         [(b["stages"][0], 1, False), (b["stages"][1], 2, False),
                          (b["stages"][2], 3, True), (b["stages"][3], 4, False)])
        body = self.ok(self.api.get("/jobs/%d/pipeline/?page_size=1" % b["job"]))
        self.assertEqual((body["count"], len(body["results"])), (2, 1))
        self.assertIn("page=2", body["next"])
        card = body["results"][0]
        self.assertEqual(set(card), {"candidate_id", "job_id", "stage_id", "status", "entered_stage_at",
                                     "time_in_stage_seconds", "open_alerts", "transition_id", "attributes"})
        self.assertEqual((card["stage_id"], card["status"], card["open_alerts"]), (b["stages"][0], "active", 0))
        self.assertGreaterEqual(card["time_in_stage_seconds"], 0)
        self.assertEqual(self.items(self.api.get("/jobs/%d/pipeline/?stage=%d" % (b["job"], b["stages"][1]))), [])
        self.ok(self.api.get("/jobs/%d/pipeline/?page=9" % b["job"]), 404)
        # the other organization sees none of it; the same organization's colleague neither (not shared)
        for api in (self.zed_api, self.cole_api):
            self.assertEqual(self.items(api.get("/jobs/")), [])
            body = self.ok(api.get("/jobs/%d/" % b["job"]), 404)
            self.assertEqual((body["code"], body["reason"]), ("not_found", "job_not_found"))
            self.ok(api.get("/jobs/%d/pipeline/" % b["job"]), 404)

    def test_moves_warnings_reasons_and_blocks(self):
        b = self.board()
        url = "/jobs/%d/candidates/%%d/move/" % b["job"]
        moved = self.ok(self.api.post(url % b["strong"], {"reason": "screen booked"}, format="json"))
        self.assertEqual((moved["from_stage_id"], moved["to_stage_id"]), (b["stages"][0], b["stages"][1]))
        self.assertEqual(set(moved) >= {"candidate_id", "from_stage_id", "to_stage_id", "transition_id",
                                        "warnings"}, True)
        body = self.ok(self.api.post(url % b["weak"], {}, format="json"), 409)
        self.assertEqual((body["code"], body["reason"]), ("23514", "rule_blocked"))
        self.assertEqual(sorted(leaf["field"] for leaf in body["failed"]), ["location", "years_experience"])
        warned = self.ok(self.api.post(url % b["strong"], {"to_stage_id": b["stages"][2], "reason": "onsite"},
                                       format="json"))
        self.assertEqual([w["field"] for w in warned["warnings"]], ["portfolio_url"])
        body = self.ok(self.api.post(url % b["strong"], {"to_stage_id": b["stages"][3],
                                                         "expected_stage_id": b["stages"][1]}, format="json"), 409)
        self.assertEqual((body["code"], body["reason"]), ("55000", "stale_expected_stage"))
        body = self.ok(self.api.post(url % b["strong"], {"expected_stage_id": b["stages"][1]}, format="json"), 409)
        self.assertEqual(body["reason"], "stale_expected_stage")
        history = self.items(self.api.get("/jobs/%d/candidates/%d/history/" % (b["job"], b["strong"])))
        self.assertEqual([(h["to_stage_id"], h["actor"], h["reason"]) for h in history],
                         [(b["stages"][0], "user:%d" % self.ann.pk, None),
                          (b["stages"][1], "user:%d" % self.ann.pk, "screen booked"),
                          (b["stages"][2], "user:%d" % self.ann.pk, "onsite")])
        self.assertEqual(self.items(self.api.get("/jobs/%d/history/?candidate=%d" % (b["job"], b["strong"]))),
                         history)
        self.assertEqual(self.ok(self.api.get("/jobs/%d/history/" % b["job"]))["count"], 4)
        # the warn rule's mismatch alert is open on the card until acknowledged
        card = self.ok(self.api.get("/jobs/%d/candidates/%d/" % (b["job"], b["strong"])))
        self.assertEqual(card["open_alerts"], 1)
        events = self.items(self.api.get("/alert-events/?job=%d&acknowledged=false" % b["job"]))
        self.assertEqual([(e["candidate_id"], e["stage_id"]) for e in events], [(b["strong"], b["stages"][2])])
        self.ok(self.api.get("/alert-events/%d/" % events[0]["id"]))
        acked = self.ok(self.api.post("/alert-events/%d/acknowledge/" % events[0]["id"]))
        self.assertEqual(acked["acknowledged_by"], "user:%d" % self.ann.pk)
        body = self.ok(self.api.post("/alert-events/%d/acknowledge/" % events[0]["id"]), 409)
        self.assertEqual(body["reason"], "already_acknowledged")
        self.assertEqual(self.ok(self.api.get("/jobs/%d/candidates/%d/" % (b["job"], b["strong"])))["open_alerts"], 0)
        self.assertEqual(self.items(self.api.get("/alert-events/?job=%d&acknowledged=false" % b["job"])), [])
        self.ok(self.zed_api.get("/alert-events/%d/" % events[0]["id"]), 404)
        self.ok(self.zed_api.post("/alert-events/%d/acknowledge/" % events[0]["id"]), 404)

    def test_bulk_move_reports_each_candidate(self):
        b = self.board()
        body = self.ok(self.api.post("/jobs/%d/move/" % b["job"], {"candidate_ids": [b["strong"], b["weak"], 999],
                                                                   "reason": "batch"}, format="json"))
        self.assertEqual([(r["candidate_id"], r["outcome"], r["sqlstate"]) for r in body["results"]],
                         [(b["strong"], "moved", None), (b["weak"], "blocked", "23514"), (999, "not_found", "P0002")])
        self.assertEqual(body["results"][1]["detail"]["reason"], "rule_blocked")
        body = self.ok(self.zed_api.post("/jobs/%d/move/" % b["job"], {"candidate_ids": [b["strong"]]},
                                         format="json"), 404)
        self.assertEqual(body["code"], "P0002")

    def test_reject_withdraw_reopen_with_reason_codes(self):
        b = self.board()
        r = self.api.post("/rejection-reasons/", {"code": "skills", "label": "Missing skills", "kind": "rejected"},
                          format="json")
        reason = self.ok(r, 201)
        self.assertTrue(r["Location"].endswith("/rejection-reasons/%d/" % reason["id"]))
        self.assertEqual([x["code"] for x in self.items(self.cole_api.get("/rejection-reasons/?kind=rejected"))],
                         ["skills"])                                     # the organization's catalogue
        self.assertEqual(self.items(self.zed_api.get("/rejection-reasons/")), [])
        url = "/jobs/%d/candidates/%d/%%s/" % (b["job"], b["weak"])
        body = self.ok(self.api.post(url % "reject", {"reason_code": "nope"}, format="json"), 400)
        self.assertEqual((body["code"], body["reason"]), ("22023", "unknown_reason_code"))
        card = self.ok(self.api.post(url % "reject", {"reason": "no Go", "reason_code": "skills"}, format="json"))
        self.assertEqual(card["status"], "rejected")
        body = self.ok(self.api.post(url % "withdraw", {}, format="json"), 409)
        self.assertEqual(body["code"], "55000")
        self.assertEqual(self.ok(self.api.post(url % "reopen", {"reason": "second look"}, format="json"))["status"],
                         "active")
        self.assertEqual(self.ok(self.api.post(url % "withdraw", {"reason": "took an offer"}, format="json"))["status"],
                         "withdrawn")
        self.assertEqual(self.ok(self.api.post(url % "reopen", {}, format="json"))["status"], "active")
        history = self.items(self.api.get("/jobs/%d/candidates/%d/history/" % (b["job"], b["weak"])))
        self.assertEqual([(h["to_status"], h["reason"], h["reason_code"]) for h in history],
                         [("active", None, None), ("rejected", "no Go", "skills"), ("active", "second look", None),
                          ("withdrawn", "took an offer", None), ("active", None, None)])
        body = self.ok(self.api.post(url % "reject", {"reason": "x", "reason_kode": "skills"}, format="json"), 400)
        self.assertEqual((body["code"], list(body["errors"])), ("invalid", ["reason_kode"]))
        self.ok(self.api.patch("/rejection-reasons/%d/" % reason["id"], {"active": False}, format="json"))
        self.ok(self.api.post(url % "reject", {"reason_code": "skills"}, format="json"), 400)

    def test_transfer_and_remove(self):
        b = self.board()
        other = new_id()
        self.ok(self.api.post("/workflows/%d/assign/" % b["wf"], {"job_id": other}, format="json"))
        r = self.api.post("/jobs/%d/candidates/%d/transfer/" % (b["job"], b["strong"]),
                          {"to_job_id": other, "reason": "better fit"}, format="json")
        card = self.ok(r, 201)
        self.assertTrue(r["Location"].endswith("/jobs/%d/candidates/%d/" % (other, b["strong"])))
        self.assertEqual((card["job_id"], card["stage_id"]), (other, b["stages"][0]))
        old = self.ok(self.api.get("/jobs/%d/candidates/%d/" % (b["job"], b["strong"])))
        self.assertEqual(old["status"], "transferred")
        self.ok(self.api.delete("/jobs/%d/candidates/%d/?reason=duplicate" % (b["job"], b["weak"])), 204)
        body = self.ok(self.api.get("/jobs/%d/candidates/%d/" % (b["job"], b["weak"])), 404)
        self.assertEqual((body["code"], body["reason"]), ("not_found", "candidate_not_in_job"))
        body = self.ok(self.api.delete("/jobs/%d/candidates/%d/" % (b["job"], b["weak"])), 404)
        self.assertEqual(body["code"], "P0002")
        last = self.items(self.api.get("/jobs/%d/candidates/%d/history/" % (b["job"], b["weak"])))[-1]
        self.assertEqual((last["to_status"], last["reason"]), ("removed", "duplicate"))

    def test_facts_funnel_and_feed(self):
        b = self.board()
        self.ok(self.api.put("/jobs/%d/facts/" % b["job"], {"attributes": {"budget": 100}}, format="json"))
        self.assertEqual(self.ok(self.api.get("/jobs/%d/facts/" % b["job"]))["attributes"], {"budget": 100})
        self.ok(self.api.put("/jobs/%d/candidates/%d/facts/" % (b["job"], b["strong"]),
                             {"attributes": {"scorecards": 2}}, format="json"))
        facts = self.ok(self.api.get("/jobs/%d/candidates/%d/facts/" % (b["job"], b["strong"])))
        self.assertEqual(facts["application"], {"scorecards": 2})
        self.assertEqual(facts["candidate"]["years_experience"], 5)
        self.assertEqual(self.ok(self.cole_api.get("/candidates/%d/facts/" % b["strong"]))["attributes"]["location"],
                         "berlin")                                       # the organization's facts
        self.assertEqual(self.ok(self.zed_api.get("/candidates/%d/facts/" % b["strong"]))["attributes"], {})
        self.ok(self.zed_api.get("/jobs/%d/facts/" % b["job"]), 404)
        self.ok(self.api.post("/jobs/%d/candidates/%d/move/" % (b["job"], b["strong"]), {}, format="json"))
        funnel = self.ok(self.api.get("/jobs/%d/funnel/" % b["job"]))["results"]
        self.assertEqual([(f["stage_id"], f["entered"], f["current"]) for f in funnel],
                         [(b["stages"][0], 2, 1), (b["stages"][1], 1, 1), (b["stages"][2], 0, 0),
                          (b["stages"][3], 0, 0)])
        self.assertIn("median_time_in_stage_seconds", funnel[0])
        self.ok(self.api.get("/jobs/%d/funnel/?since=yesterday" % b["job"]), 400)
        self.assertEqual(self.ok(self.api.get("/jobs/%d/funnel/?since=2999-01-01T00:00:00Z" % b["job"]))
                         ["results"][0]["entered"], 0)
        # a plain date is its midnight UTC: the same answer as the datetime
        self.assertEqual(self.ok(self.api.get("/jobs/%d/funnel/?since=2999-01-01" % b["job"]))
                         ["results"][0]["entered"], 0)
        self.assertEqual(self.ok(self.api.get("/jobs/%d/funnel/?since=2000-01-01&until=2999-01-01" % b["job"]))
                         ["results"][0]["entered"], 2)
        self.assertEqual(self.ok(self.api.get("/jobs/%d/funnel/?until=2000-01-01" % b["job"]))
                         ["results"][0]["entered"], 0)
        self.ok(self.api.get("/jobs/%d/funnel/?since=2030-02-30" % b["job"]), 400)
        # the feed: everything of ann's, page by page with the cursor
        seen, cursor = [], None
        for _ in range(100):
            page = self.ok(self.api.get("/events/?limit=50" + ("&cursor=" + cursor if cursor else "")))
            if not page["results"]:
                break
            seen += [e["event"] for e in page["results"] if e["event"].get("job_id") == b["job"]]
            cursor = page["cursor"]
        kinds = [e["kind"] for e in seen]
        self.assertEqual(kinds.count("enter"), 2)
        self.assertEqual(kinds.count("move"), 1)
        self.assertEqual([e for e in self.ok(self.zed_api.get("/events/?limit=1000"))["results"]
                          if e["event"].get("job_id") == b["job"]], [])
        self.ok(self.api.get("/events/?cursor=garbage"), 400)


class Definitions(OrgTestCase):
    def test_clone_reorder_archive(self):
        b = self.board()
        r = self.api.post("/workflows/%d/clone/" % b["wf"], {"name": "Backend copy"}, format="json")
        copy = self.ok(r, 201)
        self.assertTrue(r["Location"].endswith("/workflows/%d/" % copy["id"]))
        self.assertEqual([s["name"] for s in copy["stages"]], ["Applied", "Screen", "Onsite", "Hired"])
        ids = [s["id"] for s in copy["stages"]]
        body = self.ok(self.api.post("/workflows/%d/reorder/" % copy["id"],
                                     {"stage_ids": [ids[1], ids[0], ids[2], ids[3]]}, format="json"))
        self.assertEqual([s["id"] for s in body["stages"]], [ids[1], ids[0], ids[2], ids[3]])
        body = self.ok(self.api.post("/workflows/%d/reorder/" % copy["id"], {"stage_ids": ids[:2]},
                                     format="json"), 400)
        self.assertEqual(body["reason"], "invalid_stage_order")
        self.assertIsNotNone(self.ok(self.api.post("/workflows/%d/archive/" % copy["id"]))["archived_at"])
        body = self.ok(self.api.post("/workflows/%d/assign/" % copy["id"], {"job_id": new_id()}, format="json"), 409)
        self.assertEqual(body["reason"], "workflow_archived")
        self.assertIsNone(self.ok(self.api.post("/workflows/%d/unarchive/" % copy["id"]))["archived_at"])
        self.assertIsNotNone(self.ok(self.api.post("/stages/%d/archive/" % ids[0]))["archived_at"])
        self.assertIsNone(self.ok(self.api.post("/stages/%d/unarchive/" % ids[0]))["archived_at"])
        self.ok(self.zed_api.post("/workflows/%d/clone/" % b["wf"], {"name": "mine"}, format="json"), 404)
        self.ok(self.cole_api.post("/workflows/%d/archive/" % b["wf"]), 404)

    def test_shares_by_username(self):
        b = self.board()
        url = "/workflows/%d/shares/" % b["wf"]
        body = self.ok(self.api.post(url, {"username": "nobody-such"}, format="json"), 400)
        self.assertEqual(body["code"], "invalid")
        self.assertEqual(list(body["errors"]), ["username"])
        r = self.api.post(url, {"username": self.cole.username}, format="json")
        share = self.ok(r, 201)
        self.assertTrue(r["Location"].endswith("%s%d/" % (url, share["id"])))
        self.assertEqual((share["username"], share["grantee_tenant"], share["accepted"], share["can_edit"]),
                         (self.cole.username, "org:" + self.org, True, False))   # within the organization: at once
        self.assertEqual([j["id"] for j in self.items(self.cole_api.get("/jobs/"))], [b["job"]])
        self.ok(self.cole_api.post("/jobs/%d/candidates/%d/move/" % (b["job"], b["strong"]), {}, format="json"))
        self.ok(self.cole_api.post("/workflows/%d/archive/" % b["wf"]), 403)   # read only
        # zed, of another organization: an offer until accepted
        zshare = self.ok(self.api.post(url, {"username": self.zed.username, "can_edit": True}, format="json"), 201)
        self.assertEqual((zshare["accepted"], zshare["can_edit"]), (False, True))
        self.assertEqual([o["workflow_id"] for o in self.items(self.zed_api.get("/workflows/offers/"))], [b["wf"]])
        self.assertEqual(self.items(self.zed_api.get("/jobs/")), [])
        self.ok(self.zed_api.post("/workflows/%d/accept/" % b["wf"]))
        self.assertEqual([j["id"] for j in self.items(self.zed_api.get("/jobs/"))], [b["job"]])
        listed = self.items(self.api.get(url))
        self.assertEqual([s["username"] for s in listed], [self.cole.username, self.zed.username])
        self.ok(self.api.get("%s%d/" % (url, zshare["id"])))
        self.ok(self.api.delete("%s%d/" % (url, zshare["id"])), 204)
        self.ok(self.api.delete("%s%d/" % (url, zshare["id"])), 404)
        self.assertEqual(self.items(self.zed_api.get("/jobs/")), [])
        self.ok(self.zed_api.get("%s%d/" % (url, share["id"])), 404)
        self.assertEqual([s["username"] for s in self.items(self.api.get(url))], [self.cole.username])

    def test_funnel_of_a_job_id_two_sharing_tenants_use(self):
        """The agency's user, offered the workflows of two clients that both number a job 'job':
        the funnel without a workflow is 409 ambiguous_job; ?workflow= names each client's job."""
        job = new_id()
        globex_api = client_for(make_user("gil", new_org("globex")))
        agent = make_user("agent", new_org("agency"))
        agent_api = client_for(agent)
        wfs = []
        for api, n in ((self.api, 3), (globex_api, 5)):
            wf = self.ok(api.post("/workflows/", {"name": "Shared"}, format="json"), 201)["id"]
            stages = [self.ok(api.post("/stages/", {"workflow_id": wf, "name": s, "position": i + 1},
                                       format="json"), 201)["id"] for i, s in enumerate(("Applied", "Screen"))]
            self.ok(api.post("/workflows/%d/assign/" % wf, {"job_id": job}, format="json"))
            for _ in range(n):
                self.ok(api.post("/jobs/%d/candidates/" % job, {"candidate_id": new_id()}, format="json"), 201)
            self.ok(api.post("/workflows/%d/shares/" % wf, {"username": agent.username}, format="json"), 201)
            self.ok(agent_api.post("/workflows/%d/accept/" % wf))
            wfs.append((wf, stages, n))
        body = self.ok(agent_api.get("/jobs/%d/funnel/" % job), 409)
        self.assertEqual((body["code"], body["reason"]), ("21000", "ambiguous_job"))
        for wf, stages, n in wfs:
            funnel = self.ok(agent_api.get("/jobs/%d/funnel/?workflow=%d" % (job, wf)))["results"]
            self.assertEqual([(f["stage_id"], f["entered"], f["current"]) for f in funnel],
                             [(stages[0], n, n), (stages[1], 0, 0)])
        # each client reads its own job with or without naming its workflow
        self.assertEqual(self.ok(self.api.get("/jobs/%d/funnel/" % job))["results"][0]["entered"], 3)
        self.assertEqual(self.ok(globex_api.get("/jobs/%d/funnel/?workflow=%d" % (job, wfs[1][0])))
                         ["results"][0]["entered"], 5)
        # a workflow the caller does not see: not found; not an id: invalid
        self.ok(self.zed_api.get("/jobs/%d/funnel/?workflow=%d" % (job, wfs[0][0])), 404)
        self.assertEqual(self.ok(agent_api.get("/jobs/%d/funnel/?workflow=x" % job), 400)["code"], "invalid")


class Conventions(OrgTestCase):
    def test_browsable_api_and_login_page(self):
        b = self.board()
        for url in ("/jobs/", "/jobs/%d/" % b["job"], "/workflows/", "/stage/%d/rule/" % b["stages"][1]):
            response = self.api.get(url, HTTP_ACCEPT="text/html")
            self.assertEqual(response.status_code, 200, url)
            self.assertIn(b"<html", response.content)
            self.assertEqual(self.api.get(url + "?format=api").status_code, 200, url)
        self.assertEqual(self.api.get("/", HTTP_ACCEPT="text/html").status_code, 200)
        from rest_framework.test import APIClient
        self.assertEqual(APIClient().get("/api-auth/login/").status_code, 200)
        self.assertEqual(APIClient().get("/jobs/", HTTP_ACCEPT="text/html").status_code, 401)

    def test_a_500_logs_its_traceback_and_answers_the_error_body(self):
        import io
        import logging
        from unittest import mock
        from rest_framework.test import APIClient
        from workflows import jobs
        handler = logging.getLogger("django.request").handlers[0]
        stream = io.StringIO()
        old = handler.setStream(stream)
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION="Token " + self.ann.token)
        try:
            with mock.patch.object(jobs.JobList, "list", side_effect=RuntimeError("boom in the view")):
                response = client.get("/jobs/")
        finally:
            handler.setStream(old)
        self.assertEqual(response.status_code, 500)
        self.assertEqual(response.json(), {"detail": "server error", "code": "server_error"})
        self.assertIn("Traceback (most recent call last)", stream.getvalue())
        self.assertIn("RuntimeError: boom in the view", stream.getvalue())

    def test_no_route_and_no_object_answer_404_with_a_code(self):
        for url in ("/nowhere/", "/jobs/abc/", "/workflows/987654321/", "/jobs/987654321/"):
            body = self.ok(self.api.get(url), 404)
            self.assertEqual(body["code"], "not_found", url)
            self.assertIn("detail", body)

    def test_raw_postgresql_texts_never_reach_the_client(self):
        b = self.board()
        body = self.ok(self.zed_api.post("/stages/", {"workflow_id": b["wf"], "name": "x", "position": 9},
                                         format="json"), 403)
        self.assertEqual((body["code"], body["reason"]), ("42501", "not_permitted"))
        self.assertNotIn("row-level security", body["detail"])
        body = self.ok(self.api.post("/rules/", {"stage_id": b["stages"][1], "name": "again", "condition": BLOCK},
                                     format="json"), 409)
        self.assertEqual((body["code"], body["reason"]), ("23505", "unique_violation"))
        self.assertNotIn("duplicate key", body["detail"])
        body = self.ok(self.api.patch("/workflows/%d/" % b["wf"], {"name": " "}, format="json"), 400)
        self.assertEqual((body["reason"], body["constraint"]), ("check_constraint", "workflow_name_check"))
        self.assertNotIn("violates", body["detail"])


class Administrators(OrgTestCase):
    def test_an_administrator_of_the_organization_sees_and_edits_every_workflow(self):
        b = self.board()
        ada = client_for(make_user("ada", self.org, is_admin=True))
        self.ok(self.cole_api.get("/workflows/%d/" % b["wf"]), 404)            # a colleague: not shared
        self.assertEqual([j["id"] for j in self.items(ada.get("/jobs/"))], [b["job"]])
        self.assertEqual(self.ok(ada.patch("/workflows/%d/" % b["wf"], {"description": "ada's"},
                                           format="json"))["description"], "ada's")
        listed = self.items(ada.get("/workflows/%d/shares/" % b["wf"]))
        self.assertEqual(listed, [])
        # an administrator of another organization is not one of this one
        other_admin = client_for(make_user("olga", "not-" + self.org, is_admin=True))
        self.ok(other_admin.get("/workflows/%d/" % b["wf"]), 404)
        self.ok(other_admin.get("/jobs/%d/" % b["job"]), 404)
