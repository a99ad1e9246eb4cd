"""The REST API end to end with DRF's APIClient and token authentication,
against a real cluster where the application role holds exactly the README's
grants.  Every endpoint and verb, each SQLSTATE's HTTP mapping, and tenants
kept apart by the extension's row-level security."""
from django.db import connection
from django.test import SimpleTestCase
from rest_framework.test import APIClient

from .helpers import client_for, jsonb, make_user, new_id, sql

RULE = {"all": [{"field": "years_experience", "op": "gte", "value": 3},
                {"field": "location", "op": "in", "value": ["Berlin", "Remote"],
                 "ignore_case": True}]}


class ApiTestCase(SimpleTestCase):
    databases = {"default"}

    def setUp(self):
        self.ann = make_user("ann")
        self.bob = make_user("bob")
        self.api = client_for(self.ann)
        self.bob_api = client_for(self.bob)

    def ok(self, response, code=200):
        self.assertEqual(response.status_code, code, getattr(response, "data", response))
        if code == 201:                                     # every 201 says where the new object is
            self.assertTrue(response["Location"].startswith("http://testserver/"), response)
        return response.json() if response.content else None

    def items(self, response):
        """A list's results (every list is a page: count, next, previous, results)."""
        body = self.ok(response)
        self.assertEqual(set(body), {"count", "next", "previous", "results"})
        return body["results"]

    def pipeline(self, user=None, api=None):
        """A workflow Applied -> Phone screen (blocking rule) -> Onsite -> Hired,
        assigned to a new job, with a strong and a weak candidate added."""
        user, api = user or self.ann, api or self.api
        wf = self.ok(api.post("/workflows/", {"name": "Backend", "description": "d"},
                              format="json"), 201)
        stages = [self.ok(api.post("/stages/", {"workflow_id": wf["id"], "name": name,
                                                "position": i + 1, "kind": kind},
                                   format="json"), 201)
                  for i, (name, kind) in enumerate([("Applied", "normal"), ("Phone screen", "normal"),
                                                    ("Onsite", "normal"), ("Hired", "hired")])]
        rule = self.ok(api.post("/rules/", {"stage_id": stages[1]["id"], "name": "Experienced",
                                            "condition": RULE}, format="json"), 201)
        job = new_id()
        self.ok(api.post("/workflows/%d/assign/" % wf["id"], {"job_id": job}, format="json"))
        strong, weak = new_id(), new_id()
        sql(user, "INSERT INTO candidate_profile (candidate_id, attributes) VALUES (%s, %s), (%s, %s)",
            [strong, jsonb({"years_experience": 5, "location": "berlin"}),
             weak, jsonb({"years_experience": 1, "location": "Paris"})])
        for candidate in (strong, weak):
            self.ok(api.post("/pipeline/", {"job_id": job, "candidate_id": candidate},
                             format="json"), 201)
        return {"workflow": wf, "stages": stages, "rule": rule, "job": job,
                "strong": strong, "weak": weak}

    def move(self, api, p, candidate, **extra):
        return api.patch("/move-to-nextstage/", dict({"candidate_id": candidate, "job_id": p["job"]},
                                                     **extra), format="json")


class Authentication(ApiTestCase):
    def test_every_endpoint_refuses_anonymous_requests(self):
        anonymous = APIClient()
        for method, url in [("get", "/stage/1/rule/"), ("get", "/stage/1/alert/"),
                            ("patch", "/move-to-nextstage/"), ("get", "/workflows/"),
                            ("post", "/workflows/"), ("get", "/workflows/1/"),
                            ("put", "/workflows/1/"), ("delete", "/workflows/1/"),
                            ("post", "/workflows/1/assign/"), ("get", "/stages/"),
                            ("post", "/rules/"), ("patch", "/alerts/1/"), ("get", "/pipeline/")]:
            response = getattr(anonymous, method)(url, {}, format="json")
            self.assertEqual(response.status_code, 401, (method, url))

    def test_the_app_connects_as_a_plain_role(self):
        with connection.cursor() as cur:
            cur.execute("SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole FROM pg_roles "
                        "WHERE rolname = current_user")
            self.assertEqual(cur.fetchone(), (False, False, False, False))
            cur.execute("SELECT has_table_privilege('candidate_stage', 'TRIGGER'), "
                        "has_table_privilege('stage_transition', 'UPDATE'), "
                        "has_table_privilege('candidate_stage', 'UPDATE')")
            self.assertEqual(cur.fetchone(), (False, False, True))

    def test_the_actor_does_not_outlive_its_request(self):
        self.pipeline()
        self.items(self.api.get("/workflows/"))
        with connection.cursor() as cur:                # same connection, after the request
            cur.execute("SELECT current_setting('workflow_ext.actor')")
            self.assertEqual(cur.fetchone()[0], "")
        self.assertEqual(self.items(self.bob_api.get("/workflows/")), [])

    def test_a_bad_token_is_refused(self):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
        self.assertEqual(client.get("/workflows/").status_code, 401)

    def test_session_authentication_sets_the_actor_too(self):
        self.pipeline()
        client = APIClient()
        self.assertTrue(client.login(username=self.ann.username, password="pw"))
        names = [w["owner"] for w in self.items(client.get("/workflows/"))]
        self.assertEqual(names, ["user:%d" % self.ann.pk])


class RestEndpoints(ApiTestCase):
    def test_get_stage_rule(self):
        p = self.pipeline()
        rule = self.ok(self.api.get("/stage/%d/rule/" % p["stages"][1]["id"]))
        self.assertEqual(rule["id"], p["rule"]["id"])
        self.assertEqual(rule["condition"], RULE)
        self.assertEqual(rule["on_fail"], "block")

    def test_get_stage_rule_404_no_rule_and_no_stage(self):
        p = self.pipeline()
        body = self.ok(self.api.get("/stage/%d/rule/" % p["stages"][0]["id"]), 404)
        self.assertEqual(body["code"], "P0002")
        self.assertIn("rule", body["detail"])
        body = self.ok(self.api.get("/stage/987654321/rule/"), 404)
        self.assertIn("987654321", body["detail"])
        self.assertIn("stage", body["detail"])

    def test_get_stage_alerts(self):
        p = self.pipeline()
        alerts = self.ok(self.api.get("/stage/%d/alert/" % p["stages"][1]["id"]))
        self.assertEqual([a["field_name"] for a in alerts], ["years_experience", "location"])
        self.assertTrue(all(a["rule_id"] == p["rule"]["id"] for a in alerts))
        body = self.ok(self.api.get("/stage/%d/alert/" % p["stages"][0]["id"]), 404)
        self.assertEqual(body["code"], "P0002")
        self.ok(self.api.get("/stage/987654321/alert/"), 404)

    def test_move_to_next_stage(self):
        p = self.pipeline()
        result = self.ok(self.move(self.api, p, p["strong"]))
        self.assertEqual(result["from_stage_id"], p["stages"][0]["id"])
        self.assertEqual(result["to_stage_id"], p["stages"][1]["id"])
        self.assertEqual(result["to_stage_name"], "Phone screen")
        self.assertEqual(result["warnings"], [])
        history = sql(self.ann, "SELECT from_stage_id, to_stage_id, actor FROM stage_transition "
                                "WHERE job_id = %s AND candidate_id = %s ORDER BY id",
                      [p["job"], p["strong"]])
        self.assertEqual(history[-1], (p["stages"][0]["id"], p["stages"][1]["id"],
                                       "user:%d" % self.ann.pk))

    def test_blocked_move_is_409_with_the_failed_leaves(self):
        p = self.pipeline()
        body = self.ok(self.move(self.api, p, p["weak"]), 409)
        self.assertEqual(body["code"], "23514")
        self.assertEqual(body["reason"], "rule_blocked")
        self.assertEqual(sorted(leaf["field"] for leaf in body["failed"]),
                         ["location", "years_experience"])
        stage = sql(self.ann, "SELECT stage_id FROM candidate_stage WHERE job_id = %s AND candidate_id = %s",
                    [p["job"], p["weak"]])[0][0]
        self.assertEqual(stage, p["stages"][0]["id"])          # rolled back, not moved

    def test_move_404_names_the_job_or_the_candidate(self):
        p = self.pipeline()
        body = self.ok(self.api.patch("/move-to-nextstage/",
                                      {"candidate_id": p["strong"], "job_id": 987654321},
                                      format="json"), 404)
        self.assertEqual(body["code"], "P0002")
        self.assertIn("987654321", body["detail"])
        body = self.ok(self.move(self.api, p, 987654321), 404)
        self.assertIn("987654321", body["detail"])

    def test_move_past_the_last_stage_or_unexpected_stage_is_409(self):
        p = self.pipeline()
        for _ in range(3):
            self.ok(self.move(self.api, p, p["strong"]))
        body = self.ok(self.move(self.api, p, p["strong"]), 409)
        self.assertEqual(body["code"], "55000")
        p2 = self.pipeline()
        body = self.ok(self.move(self.api, p2, p2["strong"], expected_stage_id=p2["stages"][2]["id"]), 409)
        self.assertEqual(body["code"], "55000")
        self.ok(self.move(self.api, p2, p2["strong"], expected_stage_id=p2["stages"][0]["id"]))

    def test_move_body_is_checked(self):
        self.ok(self.api.patch("/move-to-nextstage/", {"candidate_id": "x"}, format="json"), 400)
        self.assertEqual(self.api.get("/move-to-nextstage/").status_code, 405)


class Workflows(ApiTestCase):
    def test_list_nests_stages_in_order_and_retrieve(self):
        p = self.pipeline()
        self.ok(self.api.post("/workflows/", {"name": "Empty"}, format="json"), 201)
        listed = self.items(self.api.get("/workflows/"))
        self.assertEqual([w["name"] for w in listed], ["Backend", "Empty"])
        self.assertEqual([s["name"] for s in listed[0]["stages"]],
                         ["Applied", "Phone screen", "Onsite", "Hired"])
        self.assertEqual(listed[1]["stages"], [])
        one = self.ok(self.api.get("/workflows/%d/" % p["workflow"]["id"]))
        self.assertEqual([s["position"] for s in one["stages"]], [1, 2, 3, 4])
        self.assertEqual(one["owner"], "user:%d" % self.ann.pk)

    def test_reorder_is_reflected_in_the_nested_list(self):
        p = self.pipeline()
        ids = [s["id"] for s in p["stages"]]
        sql(self.ann, "SELECT reorder_stages(%s, %s)", [p["workflow"]["id"], [ids[1], ids[0], ids[2], ids[3]]])
        one = self.ok(self.api.get("/workflows/%d/" % p["workflow"]["id"]))
        self.assertEqual([s["id"] for s in one["stages"]], [ids[1], ids[0], ids[2], ids[3]])

    def test_update_and_partial_update(self):
        wf = self.ok(self.api.post("/workflows/", {"name": "Old"}, format="json"), 201)
        body = self.ok(self.api.put("/workflows/%d/" % wf["id"], {"name": "New", "description": "x"},
                                    format="json"))
        self.assertEqual((body["name"], body["description"]), ("New", "x"))
        body = self.ok(self.api.patch("/workflows/%d/" % wf["id"], {"description": "y"}, format="json"))
        self.assertEqual((body["name"], body["description"]), ("New", "y"))
        body = self.ok(self.api.patch("/workflows/%d/" % wf["id"], {"name": "  "}, format="json"), 400)
        self.assertEqual(body["code"], "23514")                 # the table's CHECK: bad input
        self.assertEqual(body["constraint"], "workflow_name_check")

    def test_destroy(self):
        wf = self.ok(self.api.post("/workflows/", {"name": "Gone"}, format="json"), 201)
        self.ok(self.api.delete("/workflows/%d/" % wf["id"]), 204)
        self.ok(self.api.get("/workflows/%d/" % wf["id"]), 404)

    def test_one_user_never_sees_another_users_workflows(self):
        p = self.pipeline()
        wid = p["workflow"]["id"]
        self.assertEqual(self.items(self.bob_api.get("/workflows/")), [])
        self.ok(self.bob_api.get("/workflows/%d/" % wid), 404)
        self.ok(self.bob_api.put("/workflows/%d/" % wid, {"name": "Mine"}, format="json"), 404)
        self.ok(self.bob_api.delete("/workflows/%d/" % wid), 404)
        self.assertEqual(self.items(self.bob_api.get("/stages/?workflow=%d" % wid)), [])
        self.ok(self.bob_api.get("/stages/%d/" % p["stages"][0]["id"]), 404)
        self.ok(self.bob_api.get("/rules/%d/" % p["rule"]["id"]), 404)
        self.assertEqual(self.items(self.bob_api.get("/alerts/?stage=%d" % p["stages"][1]["id"])), [])
        self.ok(self.bob_api.get("/stage/%d/rule/" % p["stages"][1]["id"]), 404)
        self.ok(self.bob_api.get("/stage/%d/alert/" % p["stages"][1]["id"]), 404)
        self.assertEqual(self.items(self.bob_api.get("/pipeline/?job=%d" % p["job"])), [])
        body = self.ok(self.move(self.bob_api, p, p["strong"]), 404)      # no existence leak
        self.assertEqual(body["code"], "P0002")
        body = self.ok(self.bob_api.post("/stages/", {"workflow_id": wid, "name": "x", "position": 9},
                                         format="json"), 403)
        self.assertEqual(body["code"], "42501")
        body = self.ok(self.bob_api.post("/workflows/%d/assign/" % wid, {"job_id": new_id()},
                                         format="json"), 404)
        self.assertEqual(body["code"], "P0002")
        # Still all there for ann.
        self.assertEqual(len(self.ok(self.api.get("/workflows/%d/" % wid))["stages"]), 4)

    def test_shared_read_only_then_editable(self):
        p = self.pipeline()
        wid = p["workflow"]["id"]
        self.ok(self.bob_api.post("/workflows/%d/share/" % wid, {"user_id": self.bob.pk}, format="json"), 404)
        self.ok(self.api.post("/workflows/%d/share/" % wid, {"user_id": self.bob.pk}, format="json"))
        # every user is a tenant of its own: the share is an offer until bob accepts it
        self.assertEqual(self.items(self.bob_api.get("/workflows/")), [])
        self.assertEqual([o["workflow_id"] for o in self.items(self.bob_api.get("/workflows/offers/"))], [wid])
        self.ok(self.api.post("/workflows/%d/accept/" % wid), 404)          # only the grantee accepts
        self.ok(self.bob_api.post("/workflows/%d/accept/" % wid))
        self.assertEqual(self.items(self.bob_api.get("/workflows/offers/")), [])
        self.assertEqual([w["id"] for w in self.items(self.bob_api.get("/workflows/"))], [wid])
        self.ok(self.move(self.bob_api, p, p["strong"]))            # visibility suffices to move
        self.ok(self.bob_api.patch("/workflows/%d/" % wid, {"name": "Bob's"}, format="json"), 403)
        self.ok(self.bob_api.patch("/stages/%d/" % p["stages"][0]["id"], {"name": "x"}, format="json"), 403)
        self.ok(self.bob_api.delete("/alerts/%d/" % self.items(self.api.get(
            "/alerts/?stage=%d" % p["stages"][1]["id"]))[0]["id"]), 403)
        self.ok(self.bob_api.delete("/workflows/%d/" % wid), 403)
        body = self.ok(self.bob_api.post("/rules/", {"stage_id": p["stages"][2]["id"], "name": "r",
                                                     "condition": RULE}, format="json"), 403)
        self.assertEqual(body["code"], "42501")
        self.ok(self.api.post("/workflows/%d/share/" % wid, {"user_id": self.bob.pk, "can_edit": True},
                              format="json"))
        self.assertEqual(self.ok(self.bob_api.patch("/workflows/%d/" % wid, {"name": "Bob's"},
                                                    format="json"))["name"], "Bob's")
        self.ok(self.bob_api.delete("/workflows/%d/" % wid), 403)   # only the owner deletes
        self.ok(self.bob_api.post("/workflows/%d/leave/" % wid), 204)            # bob gives it up
        self.assertEqual(self.items(self.bob_api.get("/workflows/")), [])
        self.ok(self.api.post("/workflows/%d/share/" % wid, {"user_id": self.bob.pk}, format="json"))
        self.assertEqual(self.items(self.bob_api.get("/workflows/offers/")), [])   # left stays left
        self.ok(self.bob_api.post("/workflows/%d/accept/" % wid))
        self.ok(self.api.delete("/workflows/%d/share/" % wid, {"user_id": self.bob.pk}, format="json"), 204)
        self.assertEqual(self.items(self.bob_api.get("/workflows/")), [])

    def test_job_and_candidate_ids_are_each_tenants_own(self):
        # No tenant set: every user is a tenant of its own, so bob's job 7 is not ann's.
        p = self.pipeline()
        wf = self.ok(self.bob_api.post("/workflows/", {"name": "Bob's"}, format="json"), 201)
        self.ok(self.bob_api.post("/stages/", {"workflow_id": wf["id"], "name": "A", "position": 1},
                                  format="json"), 201)
        self.ok(self.bob_api.post("/workflows/%d/assign/" % wf["id"], {"job_id": p["job"]}, format="json"))
        row = self.ok(self.bob_api.post("/pipeline/", {"job_id": p["job"], "candidate_id": p["strong"]},
                                        format="json"), 201)
        self.assertEqual((row["tenant"], row["workflow_id"]), ("user:%d" % self.bob.pk, wf["id"]))
        self.assertEqual([r["candidate_id"] for r in self.items(self.bob_api.get("/pipeline/?job=%d" % p["job"]))],
                         [p["strong"]])
        ann = self.items(self.api.get("/pipeline/?job=%d" % p["job"]))
        self.assertEqual(sorted(r["candidate_id"] for r in ann), sorted([p["strong"], p["weak"]]))
        self.assertEqual({r["workflow_id"] for r in ann}, {p["workflow"]["id"]})
        self.ok(self.move(self.api, p, p["strong"]))                      # each moves their own
        self.assertEqual(self.items(self.bob_api.get("/pipeline/?job=%d" % p["job"]))[0]["stage_id"],
                         row["stage_id"])

    def test_assign_action(self):
        wf = self.ok(self.api.post("/workflows/", {"name": "W"}, format="json"), 201)
        self.ok(self.api.post("/stages/", {"workflow_id": wf["id"], "name": "A", "position": 1},
                              format="json"), 201)
        job = new_id()
        row = self.ok(self.api.post("/workflows/%d/assign/" % wf["id"], {"job_id": job}, format="json"))
        self.assertEqual((row["job_id"], row["workflow_id"]), (job, wf["id"]))
        self.ok(self.api.post("/workflows/987654321/assign/", {"job_id": new_id()}, format="json"), 404)
        self.ok(self.api.post("/workflows/%d/assign/" % wf["id"], {}, format="json"), 400)


class Stages(ApiTestCase):
    def test_crud_and_detail_with_rule_and_alerts(self):
        p = self.pipeline()
        detail = self.ok(self.api.get("/stages/%d/" % p["stages"][1]["id"]))
        self.assertEqual(detail["rule_id"], p["rule"]["id"])
        self.assertEqual(detail["condition"], RULE)
        self.assertEqual([a["field_name"] for a in detail["alerts"]], ["years_experience", "location"])
        listed = self.items(self.api.get("/stages/?workflow=%d" % p["workflow"]["id"]))
        self.assertEqual([s["position"] for s in listed], [1, 2, 3, 4])
        extra = self.ok(self.api.post("/stages/", {"workflow_id": p["workflow"]["id"], "name": "Offer",
                                                   "position": 5, "sla": "2 00:00:00",
                                                   "config": {"color": "green"}}, format="json"), 201)
        self.assertEqual(extra["sla"], "2 00:00:00")
        changed = self.ok(self.api.patch("/stages/%d/" % extra["id"], {"name": "Offer call"},
                                         format="json"))
        self.assertEqual(changed["name"], "Offer call")
        self.ok(self.api.put("/stages/%d/" % extra["id"], {"workflow_id": p["workflow"]["id"],
                                                           "name": "Offer", "position": 5,
                                                           "kind": "normal"}, format="json"))
        self.ok(self.api.delete("/stages/%d/" % extra["id"]), 204)
        self.ok(self.api.get("/stages/%d/" % extra["id"]), 404)

    def test_bad_kind_and_stage_in_use(self):
        p = self.pipeline()
        body = self.ok(self.api.post("/stages/", {"workflow_id": p["workflow"]["id"], "name": "x",
                                                  "position": 7, "kind": "fired"}, format="json"), 400)
        self.assertEqual(body["constraint"], "workflow_stage_kind_check")
        body = self.ok(self.api.delete("/stages/%d/" % p["stages"][0]["id"]), 409)   # candidates stand in it
        self.assertEqual(body["code"], "23503")


class Rules(ApiTestCase):
    def test_alerts_are_generated_at_once_and_follow_the_rule(self):
        p = self.pipeline()
        alerts = p["rule"]["alerts"]
        self.assertEqual([(a["field_name"], a["operator"], a["fires_on"]) for a in alerts],
                         [("years_experience", "gte", "mismatch"), ("location", "in", "mismatch")])
        rid = p["rule"]["id"]
        self.assertEqual(self.ok(self.api.get("/rules/%d/" % rid))["alerts"], alerts)
        changed = self.ok(self.api.patch("/rules/%d/" % rid, {"condition": {
            "field": "portfolio_url", "op": "exists"}}, format="json"))
        self.assertEqual([a["field_name"] for a in changed["alerts"]], ["portfolio_url"])
        self.ok(self.api.put("/rules/%d/" % rid, {"stage_id": p["stages"][1]["id"], "name": "Warn only",
                                                 "condition": RULE, "on_fail": "warn"}, format="json"))
        result = self.ok(self.move(self.api, p, p["weak"]))               # warn: the move happens
        self.assertEqual(sorted(w["field"] for w in result["warnings"]), ["location", "years_experience"])
        self.assertEqual(result["alerts_raised"], 2)

    def test_delete_removes_the_generated_alerts(self):
        p = self.pipeline()
        self.ok(self.api.delete("/rules/%d/" % p["rule"]["id"]), 204)
        self.assertEqual(self.items(self.api.get("/alerts/?stage=%d" % p["stages"][1]["id"])), [])
        self.ok(self.api.get("/stage/%d/rule/" % p["stages"][1]["id"]), 404)
        self.ok(self.api.get("/rules/%d/" % p["rule"]["id"]), 404)

    def test_delete_a_rule_whose_alerts_fired(self):
        p = self.pipeline()
        self.ok(self.api.patch("/rules/%d/" % p["rule"]["id"], {"on_fail": "warn"}, format="json"))
        self.assertEqual(self.ok(self.move(self.api, p, p["weak"]))["alerts_raised"], 2)
        self.ok(self.api.delete("/rules/%d/" % p["rule"]["id"]), 204)
        events = sql(self.ann, "SELECT alert_id, message FROM alert_event WHERE job_id = %s", [p["job"]])
        self.assertEqual(len(events), 2)
        self.assertTrue(all(alert_id is None and message for alert_id, message in events))

    def test_invalid_condition_is_400_with_the_json_path(self):
        p = self.pipeline()
        body = self.ok(self.api.post("/rules/", {"stage_id": p["stages"][2]["id"], "name": "bad",
                                                 "condition": {"all": [{"field": "a", "op": "eq", "value": 1},
                                                                       {"field": "b", "op": "nope", "value": 1}]}},
                                     format="json"), 400)
        self.assertEqual(body["code"], "22023")
        self.assertEqual(body["reason"], "invalid_condition")
        self.assertEqual(body["path"], "$.all[1].op")
        # the DETAIL as a JSON object, not a JSON text inside the body
        self.assertIsInstance(body["path_detail"], dict)
        self.assertEqual((body["path_detail"]["reason"], body["path_detail"]["path"]),
                         ("invalid_condition", "$.all[1].op"))
        body = self.ok(self.api.patch("/rules/%d/" % p["rule"]["id"], {"condition": {"any": []}},
                                      format="json"), 400)
        self.assertEqual(body["code"], "22023")
        self.assertTrue(body["path"].startswith("$"))

    def test_second_rule_on_a_stage_is_409(self):
        p = self.pipeline()
        body = self.ok(self.api.post("/rules/", {"stage_id": p["stages"][1]["id"], "name": "again",
                                                 "condition": RULE}, format="json"), 409)
        self.assertEqual(body["code"], "23505")


class Alerts(ApiTestCase):
    def test_crud(self):
        p = self.pipeline()
        stage = p["stages"][2]["id"]
        alert = self.ok(self.api.post("/alerts/", {"stage_id": stage, "field_name": "salary",
                                                   "operator": ">", "value": 120000,
                                                   "message": "above band"}, format="json"), 201)
        self.assertEqual(alert["operator"], "gt")                        # stored canonical
        self.assertIsNone(alert["rule_id"])
        self.assertEqual(self.ok(self.api.get("/alerts/%d/" % alert["id"]))["value"], 120000)
        self.assertEqual([a["id"] for a in self.ok(self.api.get("/stage/%d/alert/" % stage))], [alert["id"]])
        body = self.ok(self.api.patch("/alerts/%d/" % alert["id"], {"severity": "critical"}, format="json"))
        self.assertEqual(body["severity"], "critical")
        self.ok(self.api.put("/alerts/%d/" % alert["id"], {"stage_id": stage, "field_name": "salary",
                                                           "operator": "gte", "value": 1}, format="json"))
        self.ok(self.api.delete("/alerts/%d/" % alert["id"]), 204)
        self.ok(self.api.get("/stage/%d/alert/" % stage), 404)

    def test_bad_field_operator_or_value_is_rejected_by_the_extension(self):
        p = self.pipeline()
        stage = p["stages"][2]["id"]
        for data in [{"field_name": "salary", "operator": "nope", "value": 1},
                     {"field_name": "salary", "operator": "in", "value": 3},
                     {"field_name": "salary", "operator": "eq"},
                     {"field_name": "", "operator": "eq", "value": 1},
                     {"field_name": "a..b", "operator": "eq", "value": 1},
                     {"field_name": "x", "operator": "matches", "value": "(unclosed"}]:
            body = self.ok(self.api.post("/alerts/", dict(data, stage_id=stage), format="json"), 400)
            self.assertEqual(body["code"], "22023", data)
            self.assertEqual(body["path_detail"]["reason"], body["reason"], data)
        body = self.ok(self.api.post("/alerts/", {"stage_id": stage, "value": 1}, format="json"), 400)
        self.assertEqual(body["code"], "invalid")                          # DRF: required fields
        self.assertEqual(set(body["errors"]), {"field_name", "operator"})

    def test_alert_fires_on_move(self):
        p = self.pipeline()
        self.ok(self.api.post("/alerts/", {"stage_id": p["stages"][1]["id"], "field_name": "location",
                                           "operator": "eq", "value": "berlin", "ignore_case": True,
                                           "message": "local"}, format="json"), 201)
        self.assertEqual(self.ok(self.move(self.api, p, p["strong"]))["alerts_raised"], 1)


class Pipeline(ApiTestCase):
    def test_patch_is_an_orm_save_checked_like_the_endpoint(self):
        p = self.pipeline()
        rows = {r["candidate_id"]: r for r in self.items(self.api.get("/pipeline/?job=%d" % p["job"]))}
        weak = rows[p["weak"]]
        body = self.ok(self.api.patch("/pipeline/%d/" % weak["id"], {"stage_id": p["stages"][1]["id"]},
                                      format="json"), 409)
        self.assertEqual(body["code"], "23514")
        strong = rows[p["strong"]]
        moved = self.ok(self.api.patch("/pipeline/%d/" % strong["id"],
                                       {"stage_id": p["stages"][1]["id"],
                                        "transition_id": strong["transition_id"]}, format="json"))
        self.assertEqual(moved["stage_id"], p["stages"][1]["id"])
        self.assertGreater(moved["transition_id"], strong["transition_id"])
        body = self.ok(self.api.patch("/pipeline/%d/" % strong["id"],          # stale: read before the move
                                      {"stage_id": p["stages"][2]["id"],
                                       "transition_id": strong["transition_id"]}, format="json"), 409)
        self.assertEqual(body["code"], "40001")
        self.ok(self.api.patch("/pipeline/%d/" % strong["id"], {"status": "rejected"}, format="json"))
        body = self.ok(self.move(self.api, p, p["strong"]), 409)             # not active
        self.assertEqual(body["code"], "55000")
        body = self.ok(self.api.post("/pipeline/", {"job_id": p["job"], "candidate_id": p["strong"]},
                                     format="json"), 409)
        self.assertEqual(body["code"], "23505")

    def test_application_facts_are_written_with_the_row_and_read_by_rules(self):
        p = self.pipeline()
        alert = self.ok(self.api.post("/alerts/", {"stage_id": p["stages"][1]["id"], "field_name": "scorecards",
                                                   "operator": "gte", "value": 2, "source": "application",
                                                   "message": "scored"}, format="json"), 201)
        self.assertEqual(alert["source"], "application")
        rows = {r["candidate_id"]: r for r in self.items(self.api.get("/pipeline/?job=%d" % p["job"]))}
        strong = rows[p["strong"]]
        self.assertEqual((strong["tenant"], strong["attributes"]), ("user:%d" % self.ann.pk, {}))
        body = self.ok(self.api.patch("/pipeline/%d/" % strong["id"],
                                      {"attributes": {"scorecards": 2}, "tenant": "org:elsewhere"},
                                      format="json"))
        self.assertEqual((body["attributes"], body["tenant"], body["stage_id"], body["transition_id"]),
                         ({"scorecards": 2}, "user:%d" % self.ann.pk, strong["stage_id"],
                          strong["transition_id"]))                     # facts alone: no move
        self.assertEqual(self.ok(self.move(self.api, p, p["strong"]))["alerts_raised"], 1)
        body = self.ok(self.api.get("/pipeline/%d/" % strong["id"]))
        self.assertEqual(body["attributes"], {"scorecards": 2})
