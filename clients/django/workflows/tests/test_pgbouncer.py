"""The API behind PgBouncer in transaction mode (Debian's pgbouncer), the
usual pooler in front of PostgreSQL: the test starts pgbouncer on a loopback
port in front of the test's cluster (pool of 2 server connections, so every
server connection serves many requests of different users), serves the API
through it (manage.py runserver, threaded, connecting to pgbouncer only), and
runs interleaved requests of users of two organizations from 8 threads.
Nothing of a request's identity may reach another: each move's history row
records the user who made it and its organization's tenant, each user lists
only its organization's jobs, and a server connection handed out afterwards
carries no actor or tenant (SET LOCAL only; the settings send no startup
"options", which PgBouncer refuses)."""
import json
import os
import pwd
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import psycopg2
from django.conf import settings
from django.test import SimpleTestCase

from .helpers import make_user, new_id, new_org

HERE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, process, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError("exited with %s" % process.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("port %d not open after %ds" % (port, seconds))


class BehindPgBouncer(SimpleTestCase):
    databases = {"default"}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        db = settings.DATABASES["default"]
        host = db["HOST"] or "127.0.0.1"         # a socket directory or a host name
        cls.dir = tempfile.mkdtemp(prefix="wf-pgbouncer-")
        cls.bouncer_port, cls.api_port = free_port(), free_port()
        cls.log = os.path.join(cls.dir, "pgbouncer.log")
        with open(os.path.join(cls.dir, "users.txt"), "w") as f:
            f.write('"%s" "%s"\n' % (db["USER"], db["PASSWORD"]))
        with open(os.path.join(cls.dir, "pgbouncer.ini"), "w") as f:
            f.write("[databases]\n%s = host=%s port=%s dbname=%s\n\n[pgbouncer]\n"
                    "listen_addr = 127.0.0.1\nlisten_port = %d\nunix_socket_dir =\n"
                    "auth_type = plain\nauth_file = %s\npool_mode = transaction\n"
                    "default_pool_size = 2\nmax_client_conn = 200\nlog_connections = 1\n"
                    "logfile = %s\npidfile = %s\n"
                    % (db["NAME"], host, db["PORT"], db["NAME"], cls.bouncer_port,
                       os.path.join(cls.dir, "users.txt"), cls.log, os.path.join(cls.dir, "pgbouncer.pid")))
        command = [shutil.which("pgbouncer") or "/usr/sbin/pgbouncer", os.path.join(cls.dir, "pgbouncer.ini")]
        if os.geteuid() == 0:                   # pgbouncer refuses to run as root
            owner = pwd.getpwnam("postgres")
            for name in os.listdir(cls.dir) + [""]:
                os.chown(os.path.join(cls.dir, name), owner.pw_uid, owner.pw_gid)
            command = ["runuser", "-u", "postgres", "--"] + command
        cls.bouncer = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        env = dict(os.environ, PGHOST="127.0.0.1", PGPORT=str(cls.bouncer_port))
        cls.api = None
        try:
            wait_for_port(cls.bouncer_port, cls.bouncer)
            # the server's log in a file, not a pipe nobody reads (a full pipe blocks the server)
            cls.api_log = os.path.join(cls.dir, "api.log")
            cls.api = subprocess.Popen(["/usr/bin/python3", "manage.py", "runserver", "--noreload",
                                        "127.0.0.1:%d" % cls.api_port], cwd=HERE, env=env,
                                       stdout=subprocess.DEVNULL, stderr=open(cls.api_log, "wb"))
            wait_for_port(cls.api_port, cls.api)
        except Exception as exc:
            said = []
            for process in (cls.bouncer, cls.api):
                if process is not None and process.poll() is None:
                    process.terminate()
            said.append(cls.bouncer.stderr.read().decode(errors="replace")[-2000:])
            for log in (cls.log, getattr(cls, "api_log", "")):
                if os.path.exists(log):
                    with open(log) as f:
                        said.append(f.read()[-2000:])
            cls.tearDownClass()
            raise RuntimeError("%s: %s" % (exc, " | ".join(said))) from exc

    @classmethod
    def tearDownClass(cls):
        for process in (cls.api, cls.bouncer):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    process.kill()
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    def call(self, user, method, path, body=None, timeout=60):
        request = urllib.request.Request("http://127.0.0.1:%d%s" % (self.api_port, path), method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Authorization": "Token " + user.token,
                                                  "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def ok(self, user, method, path, body=None, code=200):
        status, data = self.call(user, method, path, body)
        self.assertEqual(status, code, (method, path, data))
        return data

    def board(self, user, candidates):
        wf = self.ok(user, "POST", "/workflows/", {"name": "Pooled"}, code=201)["id"]
        for position in range(1, 4):
            self.ok(user, "POST", "/stages/", {"workflow_id": wf, "name": "S%d" % position,
                                               "position": position}, code=201)
        job = new_id()
        self.ok(user, "POST", "/workflows/%d/assign/" % wf, {"job_id": job})
        for candidate in candidates:
            self.ok(user, "POST", "/jobs/%d/candidates/" % job, {"candidate_id": candidate}, code=201)
        return job

    def test_no_actor_or_tenant_leaks_between_interleaved_requests(self):
        orgs = {"a": new_org("pool-a"), "b": new_org("pool-b")}
        users = [make_user("%s%d" % (o, i), orgs[o]) for o in ("a", "b") for i in range(3)]
        org_of = {u.pk: orgs[u.username[0]] for u in users}
        # each user: a job of its own, shared with its organization's colleagues
        work = {}
        for user in users:
            candidates = [new_id() for _ in range(4)]
            job = self.board(user, candidates)
            work[user.pk] = (job, candidates)
        wf_jobs = {u.pk: work[u.pk][0] for u in users}
        for user in users:
            wf = self.ok(user, "GET", "/jobs/%d/" % wf_jobs[user.pk])["workflow_id"]
            for other in users:
                if other is not user and org_of[other.pk] == org_of[user.pk]:
                    self.ok(user, "POST", "/workflows/%d/shares/" % wf, {"username": other.username}, code=201)
        errors, moves = [], []
        barrier = threading.Barrier(8)
        lock = threading.Lock()

        def worker(seed):
            rng = random.Random(seed)
            barrier.wait()
            for step in range(12):
                user = rng.choice(users)
                try:
                    if step % 3 == 0:       # a move, in its own or a colleague's job
                        colleagues = [u for u in users if org_of[u.pk] == org_of[user.pk]]
                        owner = rng.choice(colleagues)
                        job, candidates = work[owner.pk]
                        reason = "w%d-s%d-u%d" % (seed, step, user.pk)
                        status, body = self.call(user, "POST", "/jobs/%d/candidates/%d/move/"
                                                 % (job, rng.choice(candidates)), {"reason": reason})
                        if status == 200:
                            with lock:
                                moves.append((user.pk, job, body["transition_id"], reason))
                        elif status != 409:             # the last stage: 409 last_stage
                            errors.append((user.username, "move", status, body))
                    else:
                        status, body = self.call(user, "GET", "/jobs/?page_size=500")
                        seen = {j["id"] for j in body["results"]} if status == 200 else None
                        mine = {work[u.pk][0] for u in users if org_of[u.pk] == org_of[user.pk]}
                        tenants = {j["tenant"] for j in body["results"]} if status == 200 else None
                        if status != 200 or seen != mine or tenants != {"org:" + org_of[user.pk]}:
                            errors.append((user.username, "jobs", status, seen, mine, tenants))
                except Exception as exc:        # noqa: BLE001 -- reported below
                    errors.append((user.username, "exception", repr(exc)))

        threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors, [])
        self.assertGreater(len(moves), 10)
        # every move's history row: the user who made it, in its organization's tenant
        for user_pk, job, transition_id, reason in moves:
            owner = next(u for u in users if work[u.pk][0] == job)
            history = self.ok(owner, "GET", "/jobs/%d/history/?page_size=500" % job)["results"]
            row = next(h for h in history if h["id"] == transition_id)
            self.assertEqual((row["actor"], row["reason"]), ("user:%d" % user_pk, reason))
        # the pooled server connections keep nothing of any request
        db = settings.DATABASES["default"]
        for _ in range(4):
            conn = psycopg2.connect(host="127.0.0.1", port=self.bouncer_port, dbname=db["NAME"],
                                    user=db["USER"], password=db["PASSWORD"])
            try:
                with conn.cursor() as cur:
                    cur.execute("SELECT current_setting('workflow_ext.actor', true), "
                                "current_setting('workflow_ext.tenant', true), "
                                "current_setting('workflow_ext.tenant_admin', true), current_setting('search_path')")
                    actor, tenant, admin, search_path = cur.fetchone()
                self.assertEqual((actor or "", tenant or ""), ("", ""))
                self.assertIn(admin or "off", ("off", ""))
                self.assertEqual(search_path, "app, public")        # the role's default, no startup options
            finally:
                conn.close()
        with open(self.log) as f:
            log = f.read()
        self.assertIn("login attempt: db=%s user=%s" % (db["NAME"], db["USER"]), log)
        self.assertNotIn("unsupported startup parameter", log)


class FailingRequestsBehindPgBouncer(BehindPgBouncer):
    """Its own PgBouncer and server: run after the test above on the same
    pair, every request of this one timed out (the pooler handed out no
    server connection; not understood yet, see the review's report)."""
    test_no_actor_or_tenant_leaks_between_interleaved_requests = None

    def test_no_identity_leaks_from_requests_that_fail_midway(self):
        """Requests that fail after the identity was set (a blocked move: 23514
        from the database; a NUL in the facts: 22P05; an unknown job: 404) are
        interleaved with an administrator's writes: on the same pooled server
        connections, a plain member of the organization never gets the
        administrator's rights, another organization's user never the
        organization's tenant, and the administrator keeps them."""
        org = new_org("pool-admin")
        boss = make_user("boss", org, is_admin=True)
        ann, cole = make_user("ann", org), make_user("cole", org)
        zed = make_user("zed", new_org("pool-other"))
        wf = self.ok(ann, "POST", "/workflows/", {"name": "Guarded"}, code=201)["id"]
        for position in (1, 2):
            self.ok(ann, "POST", "/stages/", {"workflow_id": wf, "name": "S%d" % position,
                                              "position": position}, code=201)
        stage2 = self.ok(ann, "GET", "/workflows/%d/" % wf)["stages"][1]["id"]
        self.ok(ann, "POST", "/rules/", {"stage_id": stage2, "name": "never",
                                         "condition": {"field": "x", "op": "exists"}}, code=201)
        job, candidate = new_id(), new_id()
        self.ok(ann, "POST", "/workflows/%d/assign/" % wf, {"job_id": job})
        self.ok(ann, "POST", "/jobs/%d/candidates/" % job, {"candidate_id": candidate}, code=201)
        move = "/jobs/%d/candidates/%d/move/" % (job, candidate)
        steps = {
            boss: [("PATCH", "/workflows/%d/" % wf, {"description": "boss"}, 200),
                   ("POST", move, {}, 409), ("PUT", "/candidates/%d/facts/" % candidate,
                                             {"attributes": {"x": "a\u0000b"}}, 400),
                   ("GET", "/jobs/%d/" % job, None, 200)],
            ann: [("POST", move, {"reason": "r"}, 409), ("GET", "/jobs/%d/" % new_id(), None, 404),
                  ("PATCH", "/workflows/%d/" % wf, {"description": "ann"}, 200)],
            cole: [("PATCH", "/workflows/%d/" % wf, {"description": "cole"}, 404),
                   ("GET", "/jobs/%d/" % job, None, 404), ("POST", move, {}, 404)],
            zed: [("PATCH", "/workflows/%d/" % wf, {"description": "zed"}, 404),
                  ("GET", "/jobs/%d/" % job, None, 404), ("GET", "/jobs/", None, 200)],
        }
        errors = []
        barrier = threading.Barrier(8)

        def worker(seed):
            rng = random.Random(seed)
            barrier.wait()
            for _ in range(10):
                user = rng.choice(list(steps))
                method, path, body, expected = rng.choice(steps[user])
                try:
                    status, data = self.call(user, method, path, body, timeout=20)
                except Exception as exc:        # noqa: BLE001 -- reported below
                    errors.append((user.username, method, path, repr(exc)))
                    continue
                if status != expected or (user is zed and path == "/jobs/" and data["count"] != 0):
                    errors.append((user.username, method, path, status, data))

        threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        with open(self.api_log) as f:
            self.assertNotIn("Traceback", f.read())
        self.assertEqual(errors, [])
        self.assertIn(self.ok(ann, "GET", "/workflows/%d/" % wf)["description"], ("", "boss", "ann"))
