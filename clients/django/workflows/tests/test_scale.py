"""The API on a scaled-out deployment (WF_SCALE_OUT=1, run by
clients/django/run-scale-tests.sh against scripts/scale-out.sh's front and
three shards): two organizations placed on different shards use the API
with the same job ids, each request reaches its tenant's shard and only it
(the rows counted on every shard as a superuser), a tenant being moved
answers 503 tenant_moving (at once when its placement says so, after
move_wait while a move holds its lock), and a tenant moved to another shard with
move_tenant keeps working through the API: its definitions, pipeline,
history and event feed (a cursor read before the move resumes exactly after
it) are there, new moves land on the new shard."""
import os
import threading
import time
import unittest
import uuid

import psycopg2
from django.test import SimpleTestCase

from workflows import shards

from .helpers import client_for, make_user, new_id

SCALE = os.environ.get("WF_SCALE_OUT") == "1"
BLOCK = {"field": "years", "op": "gte", "value": 3}


def superuser(port_offset):
    c = psycopg2.connect(host=os.environ["WF_SCALE_SOCK"], port=int(os.environ["WF_SCALE_PORT"]) + port_offset,
                         user="postgres", dbname="wf")
    c.autocommit = True
    return c


def q(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall() if cur.description else None


@unittest.skipUnless(SCALE, "scale-out only (clients/django/run-scale-tests.sh)")
class ScaleOut(SimpleTestCase):
    databases = {"default"}

    @classmethod
    def setUpClass(cls):
        cls.front = superuser(0)
        cls.shards = [superuser(k + 1) for k in range(3)]
        # the shards' aliases (made by the requests otherwise), so that the
        # test case allows queries on them
        cls.databases = {"default"} | {
            shards.alias_for("p%d" % k, q(cls.front, "SELECT shard_conninfo(%s)", [k])[0][0]) for k in range(3)}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        for c in [cls.front] + cls.shards:
            c.close()
        super().tearDownClass()

    def partition(self, tenant):
        return q(self.front, "SELECT tenant_partition(%s)", [tenant])[0][0]

    def org_on(self, avoid):
        """An organization whose tenant is not on the partitions in avoid."""
        while True:
            org = "scale-%s" % uuid.uuid4().hex[:8]
            if self.partition("org:" + org) not in avoid:
                return org

    def rows(self, tenant):
        """The tenant's rows on each shard (every table of the extension)."""
        return [q(s, "SELECT sum(value::bigint) FROM jsonb_each_text(shard_tenant_counts(%s))", [tenant])[0][0]
                for s in self.shards]

    def ok(self, response, code=200):
        self.assertEqual(response.status_code, code, getattr(response, "data", response))
        return response.json() if response.content else None

    def board(self, api, job):
        """A workflow Applied -> Screen (blocking rule) -> Offer on job, a
        strong and a weak candidate added and the strong one moved, through
        the API."""
        wf = self.ok(api.post("/workflows/", {"name": "Backend"}, format="json"), 201)
        stages = [self.ok(api.post("/stages/", {"workflow_id": wf["id"], "name": n, "position": i + 1},
                                   format="json"), 201)["id"]
                  for i, n in enumerate(["Applied", "Screen", "Offer"])]
        self.ok(api.post("/rules/", {"stage_id": stages[1], "name": "experienced", "condition": BLOCK},
                         format="json"), 201)
        self.ok(api.post("/workflows/%d/assign/" % wf["id"], {"job_id": job}, format="json"))
        strong, weak = new_id(), new_id()
        self.ok(api.put("/candidates/%d/facts/" % strong, {"attributes": {"years": 5}}, format="json"))
        self.ok(api.put("/candidates/%d/facts/" % weak, {"attributes": {"years": 1}}, format="json"))
        for c in (strong, weak):
            self.ok(api.post("/jobs/%d/candidates/" % job, {"candidate_id": c}, format="json"), 201)
        moved = self.ok(api.post("/jobs/%d/candidates/%d/move/" % (job, strong), {}, format="json"))
        self.assertEqual((moved["from_stage_id"], moved["to_stage_id"]), (stages[0], stages[1]))
        body = self.ok(api.post("/jobs/%d/candidates/%d/move/" % (job, weak), {}, format="json"), 409)
        self.assertEqual((body["code"], body["reason"]), ("23514", "rule_blocked"))
        return {"wf": wf["id"], "stages": stages, "strong": strong, "weak": weak}

    def test_a_changed_connection_string_reaches_every_thread(self):
        """A partition's connection string changed on the front (the shard
        moved to another host): every server thread makes its connection to
        the partition again, not only the first thread that routed there."""
        from django.db import connections
        old = q(self.front, "SELECT shard_conninfo(0)")[0][0]
        new = old + " application_name=wf_relocated"
        alias = shards.alias_for("p0", old)
        self.assertEqual(connections[alias].settings_dict["WF_CONNINFO"], old)   # this thread's connection
        other = threading.Thread(target=shards.alias_for, args=("p0", new))  # another thread sees the change first
        other.start()
        other.join()
        try:
            self.assertEqual(shards.alias_for("p0", new), alias)
            self.assertEqual(connections[alias].settings_dict["WF_CONNINFO"], new)
            self.assertEqual(connections[alias].settings_dict["OPTIONS"].get("application_name"), "wf_relocated")
        finally:
            shards.alias_for("p0", old)
        self.assertEqual(connections[alias].settings_dict["WF_CONNINFO"], old)

    def test_two_organizations_on_two_shards_and_a_move(self):
        org_a = self.org_on(set())
        org_b = self.org_on({self.partition("org:" + org_a)})
        ta, tb = "org:" + org_a, "org:" + org_b
        pa, pb = self.partition(ta), self.partition(tb)
        ann, zed = make_user("ann", org_a), make_user("zed", org_b)
        a_api, b_api = client_for(ann), client_for(zed)
        job = new_id()                                   # the same job id in both organizations
        a, b = self.board(a_api, job), self.board(b_api, job)

        # each organization's requests reached its shard and only it
        ra, rb = self.rows(ta), self.rows(tb)
        self.assertTrue(ra[pa] > 10 and all(not n for k, n in enumerate(ra) if k != pa), ra)
        self.assertTrue(rb[pb] > 10 and all(not n for k, n in enumerate(rb) if k != pb), rb)
        self.assertEqual(q(self.shards[pa], "SELECT count(*) FROM candidate_stage WHERE tenant = %s AND job_id = %s",
                           [ta, job]), [(2,)])
        self.assertEqual(q(self.shards[pb], "SELECT count(*) FROM workflow WHERE tenant = %s", [tb]), [(1,)])

        # reads: workflows, the job's pipeline, history, events, each its own
        wfs = self.ok(a_api.get("/workflows/"))["results"]
        self.assertEqual([w["id"] for w in wfs], [a["wf"]])
        self.assertEqual([w["id"] for w in self.ok(b_api.get("/workflows/"))["results"]], [b["wf"]])
        pipe = self.ok(a_api.get("/jobs/%d/pipeline/" % job))["results"]
        self.assertEqual(sorted((c["candidate_id"], c["stage_id"]) for c in pipe),
                         sorted([(a["strong"], a["stages"][1]), (a["weak"], a["stages"][0])]))
        hist = self.ok(a_api.get("/jobs/%d/candidates/%d/history/" % (job, a["strong"])))["results"]
        self.assertEqual([h["to_stage_id"] for h in hist], a["stages"][:2])
        self.assertEqual(self.ok(b_api.get("/jobs/%d/candidates/%d/history/" % (job, a["strong"])))["results"], [])
        feed = self.ok(a_api.get("/events/"))
        self.assertEqual([(e["event"]["kind"], e["event"]["candidate_id"]) for e in feed["results"]],
                         [("enter", a["strong"]), ("enter", a["weak"]), ("move", a["strong"])])
        cursor_before = feed["cursor"]
        self.assertEqual(len(self.ok(b_api.get("/events/"))["results"]), 3)

        # a tenant being moved: 503 tenant_moving with Retry-After, at once
        q(self.front, "INSERT INTO tenant_placement (tenant, partition, state, other_partition) "
                      "VALUES (%s, %s, 'moving', %s)", [ta, pa, (pa + 1) % 3])
        r = a_api.get("/workflows/")
        q(self.front, "DELETE FROM tenant_placement WHERE tenant = %s", [ta])
        body = self.ok(r, 503)
        self.assertEqual((body["code"], body["reason"], r["Retry-After"]), ("55P03", "tenant_moving", "1"))
        self.assertEqual(len(self.ok(b_api.get("/workflows/"))["results"]), 1)

        # a request takes the tenant's lock on the front as a front call does: while a move holds it
        # (here held by hand), the request waits move_wait (300 ms for wf_django: run-scale-tests.sh)
        lock = superuser(0)
        q(lock, "SELECT pg_advisory_lock(2001286144, hashtext(%s))", [ta])
        t0 = time.monotonic()
        r = a_api.get("/workflows/")
        waited = time.monotonic() - t0
        q(lock, "SELECT pg_advisory_unlock(2001286144, hashtext(%s))", [ta])
        lock.close()
        body = self.ok(r, 503)
        self.assertEqual(body["reason"], "tenant_moving")
        self.assertTrue(0.25 < waited < 3.0, waited)

        # organization A moved to the third shard, then used through the API
        dest = ({0, 1, 2} - {pa, pb}).pop()
        q(self.front, "CALL move_tenant(%s, %s)", [ta, dest])
        ra = self.rows(ta)
        self.assertEqual(self.partition(ta), dest)
        self.assertTrue(ra[dest] > 10 and all(not n for k, n in enumerate(ra) if k != dest), ra)
        self.assertEqual([w["id"] for w in self.ok(a_api.get("/workflows/"))["results"]], [a["wf"]])
        moved = self.ok(a_api.post("/jobs/%d/candidates/%d/move/" % (job, a["strong"]), {}, format="json"))
        self.assertEqual(moved["to_stage_id"], a["stages"][2])
        body = self.ok(a_api.post("/jobs/%d/candidates/%d/move/" % (job, a["weak"]), {}, format="json"), 409)
        self.assertEqual(body["reason"], "rule_blocked")
        new = new_id()
        self.ok(a_api.post("/jobs/%d/candidates/" % job, {"candidate_id": new}, format="json"), 201)
        hist = self.ok(a_api.get("/jobs/%d/candidates/%d/history/" % (job, a["strong"])))["results"]
        self.assertEqual([h["to_stage_id"] for h in hist], a["stages"])
        self.assertEqual(q(self.shards[dest], "SELECT count(*) FROM stage_transition WHERE tenant = %s AND job_id = %s",
                           [ta, job]), [(5,)])
        self.assertEqual(q(self.shards[pa], "SELECT count(*) FROM stage_transition WHERE tenant = %s", [ta]), [(0,)])
        # the feed: the cursor read before the move resumes exactly after it
        after = self.ok(a_api.get("/events/?cursor=%s" % cursor_before))["results"]
        self.assertEqual([(e["event"]["kind"], e["event"]["candidate_id"]) for e in after],
                         [("move", a["strong"]), ("enter", new)])
        again = self.ok(a_api.get("/events/"))["results"]
        self.assertEqual(len(again), 5)
        # B was not touched
        self.assertEqual(self.rows(tb)[pb], rb[pb])
        self.assertEqual([w["id"] for w in self.ok(b_api.get("/workflows/"))["results"]], [b["wf"]])
