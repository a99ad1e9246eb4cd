"""manage.py demo: the README's tour as demo data for the API, made through
the extension as user ann: a workflow of four stages (a blocking rule on the
phone screen, a warn rule and an alert on the onsite), job 1234, candidates
456 (passes) and 789 (blocked).  Users ann (organization acme) and bob
(organization globex) get fixed tokens and their names as passwords, so the
README's curl lines and the login page (api-auth/login/) work as written; bob
sees nothing of ann's."""
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import connection
from rest_framework.authtoken.models import Token

from workflows.actor import acting_as
from workflows.models import Membership

TOKENS = {"ann": "ann-demo-token", "bob": "bob-demo-token"}
ORGANIZATIONS = {"ann": "acme", "bob": "globex"}



class Command(BaseCommand):
    help = "Load the demo data (users ann and bob, one workflow, job 1234, candidates 456 and 789)."

    def handle(self, *args, **options):
        users = {}
        for name, key in TOKENS.items():
            users[name], _ = User.objects.get_or_create(username=name)
            users[name].set_password(name)
            users[name].save()
            Token.objects.get_or_create(user=users[name], key=key)
            Membership.objects.update_or_create(user=users[name],
                                                defaults={"organization": ORGANIZATIONS[name]})
        with acting_as(users["ann"]), connection.cursor() as cur:
            cur.execute("INSERT INTO workflow (name, description) VALUES ('Backend engineer', 'demo') RETURNING id")
            wf = cur.fetchone()[0]
            stages = []
            for position, (name, kind) in enumerate([("Applied", "normal"), ("Phone screen", "normal"),
                                                     ("Onsite", "normal"), ("Hired", "hired")], 1):
                cur.execute("INSERT INTO workflow_stage (workflow_id, name, position, kind) "
                            "VALUES (%s, %s, %s, %s) RETURNING id", [wf, name, position, kind])
                stages.append(cur.fetchone()[0])
            cur.execute("""INSERT INTO stage_rule (stage_id, name, condition) VALUES (%s, 'Experienced and local',
                '{"all": [{"field": "years_experience", "op": "gte", "value": 3},
                          {"field": "location", "op": "in", "value": ["Berlin", "Remote"], "ignore_case": true}]}')""",
                        [stages[1]])
            cur.execute("""INSERT INTO stage_rule (stage_id, name, condition, on_fail)
                VALUES (%s, 'Has a portfolio', '{"field": "portfolio_url", "op": "exists"}', 'warn')""", [stages[2]])
            cur.execute("""INSERT INTO alert (stage_id, field_name, operator, value, message)
                VALUES (%s, 'salary_expectation', '>', '120000', 'Salary expectation above band')""", [stages[2]])
            cur.execute("SELECT assign_workflow(1234, %s)", [wf])
            cur.execute("""INSERT INTO candidate_profile (candidate_id, attributes) VALUES
                (456, '{"years_experience": 5, "location": "berlin", "salary_expectation": 130000}'),
                (789, '{"years_experience": 1, "location": "Paris"}')""")
            cur.execute("SELECT add_candidate(456, 1234), add_candidate(789, 1234)")
        self.stdout.write("demo data: workflow %d, stages %s, job 1234, candidates 456 and 789; "
                          "tokens ann=%s bob=%s" % (wf, stages, TOKENS["ann"], TOKENS["bob"]))
