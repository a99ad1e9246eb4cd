"""manage.py board_demo: a job to look at on the board, made through the
extension as one user (created with the password given, or taken as it is):
a workflow Applied → Phone screen → Onsite → Offer → Hired, the phone
screen's blocking rule (at least 3 years, in Berlin or remote), the onsite's
warn rule (a portfolio), an alert on Applied (salary above band), three
rejection reason codes, and seven candidates of whom two have moved on.
Prints what it made as JSON (the browser test reads it):
  {"user", "workflow_id", "job_id", "stages": {name: id}, "candidates": {...}}"""
import json

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import connection

from workflows.actor import acting_as

STAGES = [("Applied", "normal"), ("Phone screen", "normal"), ("Onsite", "normal"),
          ("Offer", "normal"), ("Hired", "hired")]
# candidate id offset -> facts
CANDIDATES = {
    1: {"years_experience": 5, "location": "Berlin", "salary_expectation": 130000},   # passes; alert
    2: {"years_experience": 1, "location": "Paris"},                                  # blocked
    3: {"years_experience": 4, "location": "Remote", "portfolio_url": "https://example.org/c"},
    4: {"years_experience": 2, "location": "Berlin"},                                 # blocked (years)
    5: {"years_experience": 6, "location": "Berlin"},
    6: {"years_experience": 7, "location": "remote"},
    7: {"years_experience": 8, "location": "Berlin"},
}
REASONS = [("skills", "Missing skills"), ("location", "Location does not fit"),
           ("salary", "Salary expectations")]


class Command(BaseCommand):
    help = "Load a job for the pipeline board (see the module's docstring)."

    def add_arguments(self, parser):
        parser.add_argument("--user", default="ann")
        parser.add_argument("--password", default=None, help="set this password (default: the user's name)")
        parser.add_argument("--job", type=int, default=2001)
        parser.add_argument("--first-candidate", type=int, default=100)

    def handle(self, *args, **o):
        user, _ = User.objects.get_or_create(username=o["user"])
        user.set_password(o["password"] or o["user"])
        user.save()
        job, first = o["job"], o["first_candidate"]
        ids = {k: first + k for k in CANDIDATES}
        with acting_as(user), connection.cursor() as cur:
            cur.execute("INSERT INTO workflow (name, description) VALUES ('Backend engineer (board)', 'board demo') "
                        "RETURNING id")
            wf = cur.fetchone()[0]
            stages = {}
            for position, (name, kind) in enumerate(STAGES, 1):
                cur.execute("INSERT INTO workflow_stage (workflow_id, name, position, kind) "
                            "VALUES (%s, %s, %s, %s) RETURNING id", [wf, name, position, kind])
                stages[name] = cur.fetchone()[0]
            cur.execute("""INSERT INTO stage_rule (stage_id, name, condition) VALUES (%s, 'Experienced and local',
                '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
                          {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true}]}')""",
                        [stages["Phone screen"]])
            cur.execute("""INSERT INTO stage_rule (stage_id, name, condition, on_fail)
                VALUES (%s, 'Has a portfolio', '{"field": "portfolio_url", "op": "exists"}', 'warn')""",
                        [stages["Onsite"]])
            cur.execute("""INSERT INTO alert (stage_id, field_name, operator, value, message, severity)
                VALUES (%s, 'salary_expectation', '>', '120000', 'Salary expectation above band', 'warning')""",
                        [stages["Applied"]])
            cur.execute("SELECT count(*) FROM rejection_reason WHERE kind = 'rejected'")
            if cur.fetchone()[0] == 0:
                for code, label in REASONS:
                    cur.execute("INSERT INTO rejection_reason (code, label, kind) VALUES (%s, %s, 'rejected')",
                                [code, label])
            cur.execute("SELECT assign_workflow(%s, %s)", [job, wf])
            for k, facts in CANDIDATES.items():
                cur.execute("INSERT INTO candidate_profile (candidate_id, attributes) VALUES (%s, %s)",
                            [ids[k], json.dumps(facts)])
                cur.execute("SELECT add_candidate(%s, %s)", [ids[k], job])
            # some history for the funnel: 3 and 7 passed the phone screen, 7 went on to the onsite
            cur.execute("SELECT move_to_next_stage(%s, %s)", [ids[3], job])
            cur.execute("SELECT move_to_next_stage(%s, %s)", [ids[7], job])
            cur.execute("SELECT move_to_next_stage(%s, %s)", [ids[7], job])
        self.stdout.write(json.dumps({
            "user": user.username, "workflow_id": wf, "job_id": job, "stages": stages,
            "candidates": {"passes": ids[1], "blocked": ids[2], "in_screen": ids[3],
                           "blocked_years": ids[4], "reject": [ids[5], ids[6]], "in_onsite": ids[7]},
        }))
