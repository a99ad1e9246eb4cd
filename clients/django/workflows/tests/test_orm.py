"""The ORM outside any endpoint: a model save() and a queryset update() of
candidate_stage are moves, enforced by the extension's triggers exactly like
PATCH move-to-nextstage/ -- a blocked move is the extension's 23514 with the
failed leaves, a stale row is 40001, history is written -- and row-level
security holds for the ORM's plain SELECT.  A full-row save() writes back
the application's facts (candidate_stage.attributes) and never the tenant
the extension stamped."""
import json

from django.db import DatabaseError, IntegrityError, OperationalError
from django.test import SimpleTestCase

from workflows.actor import acting_as
from workflows.errors import postgres_error
from workflows.models import (Alert, CandidateStage, JobProfile, StageTransition, Workflow,
                              WorkflowStage, insert_returning)

from .helpers import jsonb, make_user, new_id, sql

RULE = {"field": "years_experience", "op": "gte", "value": 3}


class OrmMoves(SimpleTestCase):
    databases = {"default"}

    def setUp(self):
        self.ann = make_user("ann")
        with acting_as(self.ann):
            self.wf = insert_returning(Workflow, {"name": "ORM"})
            self.stages = [insert_returning(WorkflowStage, {"workflow_id": self.wf.id, "name": n,
                                                            "position": i + 1})
                           for i, n in enumerate(["one", "two", "three"])]
        sql(self.ann, "INSERT INTO stage_rule (stage_id, name, condition) VALUES (%s, 'senior', %s)",
            [self.stages[1].id, jsonb(RULE)])
        self.job, self.strong, self.weak = new_id(), new_id(), new_id()
        sql(self.ann, "SELECT assign_workflow(%s, %s)", [self.job, self.wf.id])
        sql(self.ann, "INSERT INTO candidate_profile (candidate_id, attributes) VALUES (%s, %s), (%s, %s)",
            [self.strong, jsonb({"years_experience": 9}), self.weak, jsonb({"years_experience": 1})])
        sql(self.ann, "SELECT add_candidate(%s, %s), add_candidate(%s, %s)",
            [self.strong, self.job, self.weak, self.job])

    def row(self, candidate):
        return CandidateStage.objects.get(job_id=self.job, candidate_id=candidate)

    def test_save_moves_and_records_history(self):
        with acting_as(self.ann):
            row = self.row(self.strong)
            row.stage = self.stages[1]
            row.save()
        with acting_as(self.ann):
            self.assertEqual(self.row(self.strong).stage_id, self.stages[1].id)
            last = StageTransition.objects.filter(job_id=self.job, candidate_id=self.strong).latest("id")
            self.assertEqual((last.from_stage_id, last.to_stage_id, last.actor),
                             (self.stages[0].id, self.stages[1].id, "user:%d" % self.ann.pk))

    def test_blocked_save_is_the_extensions_23514(self):
        with self.assertRaises(IntegrityError) as raised, acting_as(self.ann):
            row = self.row(self.weak)
            row.stage = self.stages[1]
            row.save()
        pgerr = postgres_error(raised.exception)
        self.assertEqual(pgerr.pgcode, "23514")
        self.assertIsNone(pgerr.diag.constraint_name)
        self.assertEqual(json.loads(pgerr.diag.message_detail)["reason"], "rule_blocked")
        self.assertEqual([leaf["field"] for leaf in json.loads(pgerr.diag.message_detail)["failed"]],
                         ["years_experience"])
        with acting_as(self.ann):
            self.assertEqual(self.row(self.weak).stage_id, self.stages[0].id)

    def test_blocked_queryset_update_is_the_extensions_23514(self):
        with self.assertRaises(IntegrityError) as raised, acting_as(self.ann):
            CandidateStage.objects.filter(job_id=self.job).update(stage_id=self.stages[1].id)
        self.assertEqual(postgres_error(raised.exception).pgcode, "23514")
        with acting_as(self.ann):                 # all or nothing: the strong one did not move either
            self.assertEqual(set(CandidateStage.objects.filter(job_id=self.job)
                                 .values_list("stage_id", flat=True)), {self.stages[0].id})
            moved = CandidateStage.objects.filter(job_id=self.job, candidate_id=self.strong) \
                                          .update(stage_id=self.stages[1].id)
            self.assertEqual(moved, 1)
            self.assertEqual(StageTransition.objects.filter(job_id=self.job, to_stage_id=self.stages[1].id)
                             .count(), 1)

    def test_stale_save_is_40001(self):
        with acting_as(self.ann):
            stale = self.row(self.strong)
        sql(self.ann, "SELECT move_to_next_stage(%s, %s)", [self.strong, self.job])
        with self.assertRaises(OperationalError) as raised, acting_as(self.ann):
            stale.stage = self.stages[2]
            stale.save()
        self.assertEqual(postgres_error(raised.exception).pgcode, "40001")

    def test_full_row_save_keeps_the_tenant_and_the_application_facts(self):
        ann = "user:%d" % self.ann.pk
        sql(self.ann, "UPDATE candidate_stage SET attributes = %s WHERE job_id = %s AND candidate_id = %s",
            [jsonb({"scorecards": 2}), self.job, self.strong])
        with acting_as(self.ann):
            row = self.row(self.strong)
            # No tenant set: each actor is its own tenant.
            self.assertEqual((row.tenant, row.added_by, row.attributes), (ann, ann, {"scorecards": 2}))
            row.tenant = "org:elsewhere"            # the extension's: never written by the ORM
            row.added_by = "user:nobody"
            row.stage = self.stages[1]
            row.save()
        with acting_as(self.ann):
            row = self.row(self.strong)
            self.assertEqual((row.stage_id, row.tenant, row.added_by, row.attributes),
                             (self.stages[1].id, ann, ann, {"scorecards": 2}))
            wf = Workflow.objects.get(pk=self.wf.pk)
            wf.tenant, wf.name = "org:elsewhere", "ORM renamed"
            wf.save()
            wf = Workflow.objects.get(pk=self.wf.pk)
            self.assertEqual((wf.tenant, wf.name), (ann, "ORM renamed"))

    def test_application_and_job_facts_written_through_the_orm_speak_in_rules(self):
        sql(self.ann, "INSERT INTO stage_rule (stage_id, name, condition) VALUES (%s, 'scored, in budget', %s)",
            [self.stages[2].id, jsonb({"all": [
                {"field": "scorecards", "op": "gte", "value": 2, "source": "application"},
                {"field": "budget", "op": "gte", "value": 100000, "source": "job"}]})])
        sql(self.ann, "SELECT move_to_next_stage(%s, %s)", [self.strong, self.job])
        with self.assertRaises(IntegrityError) as raised, acting_as(self.ann):
            row = self.row(self.strong)
            row.stage = self.stages[2]
            row.save()
        self.assertEqual(sorted(leaf["field"] for leaf in json.loads(postgres_error(raised.exception)
                                                                     .diag.message_detail)["failed"]),
                         ["budget", "scorecards"])
        with acting_as(self.ann):
            row = self.row(self.strong)
            row.attributes = {"scorecards": 3}      # a save of the facts alone is no move
            row.save()
            profile = insert_returning(JobProfile, {"job_id": self.job, "attributes": {"budget": 120000}})
            self.assertEqual(profile.tenant, "user:%d" % self.ann.pk)
        with acting_as(self.ann):
            self.assertEqual(StageTransition.objects.filter(job_id=self.job, candidate_id=self.strong)
                             .count(), 2)
            row = self.row(self.strong)
            row.stage = self.stages[2]
            row.save()
        with acting_as(self.ann):
            self.assertEqual(self.row(self.strong).stage_id, self.stages[2].id)

    def test_no_actor_no_write(self):
        from django.db import transaction
        with self.assertRaises(DatabaseError) as raised, transaction.atomic():
            Workflow.objects.filter(pk=self.wf.pk).update(name="nobody")
        self.assertEqual(postgres_error(raised.exception).pgcode, "42501")

    def test_rls_holds_for_plain_orm_reads(self):
        bob = make_user("bob")
        with acting_as(bob):
            self.assertFalse(Workflow.objects.filter(pk=self.wf.pk).exists())
            self.assertFalse(CandidateStage.objects.filter(job_id=self.job).exists())
            self.assertFalse(Alert.objects.filter(stage_id=self.stages[1].id).exists())
            self.assertEqual(CandidateStage.objects.filter(job_id=self.job).update(stage_id=self.stages[1].id), 0)
        with acting_as(self.ann):
            self.assertEqual(CandidateStage.objects.filter(job_id=self.job).count(), 2)
            self.assertEqual(Alert.objects.filter(stage_id=self.stages[1].id).count(), 1)
