"""The REST API, each endpoint a thin call of the extension.  Every view
derives from ActorMixin (workflows/actor.py: the actor is set in the
request's transaction) and lets database errors travel to the one mapping in
workflows/errors.py.  What a user may see or change is decided by the
extension's row-level security: a row RLS hides is a 404, a row the user sees
but may not change is a 403 (RLS filters such an UPDATE or DELETE to zero
rows, or refuses the new row with 42501)."""
import json

from django.db import DatabaseError, connection
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from .actor import ActorMixin, actor_of
from .models import (Alert, CandidateStage, StageRule, StageWithRules, Workflow,
                     WorkflowStage, WorkflowWithStages, insert_returning)
from .serializers import (AlertSerializer, AssignSerializer, CandidateStageSerializer,
                          MoveSerializer, RuleSerializer, ShareSerializer,
                          StageSerializer, StageWithRulesSerializer, WorkflowSerializer,
                          WorkflowWithStagesSerializer)


def call(sql, params, json_columns=()):
    """Run one statement; its rows as dicts (jsonb columns decoded)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [d.name for d in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor.fetchall()]
    for row in rows:
        for name in json_columns:
            if isinstance(row.get(name), str):
                row[name] = json.loads(row[name])
    return rows


def read_only_refusal(obj):
    return PermissionDenied("%s %s is not editable by you" % (obj._meta.db_table, obj.pk))


# -- The REST API's three endpoints -------------------------------------------

class StageRuleView(ActorMixin, APIView):
    """GET stage/<stage_id>/rule/: get_stage_rule(); 404 names the stage or the missing rule."""

    def get(self, request, stage_id):
        rule = list(StageRule.objects.raw("SELECT * FROM get_stage_rule(%s)", [stage_id]))[0]
        return Response(RuleSerializer(rule).data)


class StageAlertsView(ActorMixin, APIView):
    """GET stage/<stage_id>/alert/: get_stage_alerts(); 404 when the stage is missing or has none."""

    def get(self, request, stage_id):
        alerts = list(Alert.objects.raw("SELECT * FROM get_stage_alerts(%s) ORDER BY id", [stage_id]))
        return Response(AlertSerializer(alerts, many=True).data)


class MoveToNextStageView(ActorMixin, APIView):
    """PATCH move-to-nextstage/ {candidate_id, job_id[, expected_stage_id]}: move_to_next_stage()."""

    def patch(self, request):
        move = MoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        v = move.validated_data
        row = call("SELECT * FROM move_to_next_stage(%s, %s, %s)",
                   [v["candidate_id"], v["job_id"], v.get("expected_stage_id")],
                   json_columns=["warnings"])[0]
        return Response(row)


# -- ViewSets ----------------------------------------------------------------

class ExtensionViewSet(ActorMixin, viewsets.ModelViewSet):
    """CRUD on one of the extension's tables: inserts name only the columns
    given (the extension fills the rest), updates and deletes touch one row
    and report a row RLS filtered out of the write as 403."""
    model = None
    filters = {}            # query parameter -> column

    def get_queryset(self):
        queryset = self.model.objects.order_by("id")
        for param, column in self.filters.items():
            value = self.request.query_params.get(param)
            if value is not None:
                queryset = queryset.filter(**{column: value})
        return queryset

    def perform_create(self, serializer):
        values = {self.column_name(k): v for k, v in serializer.validated_data.items()}
        serializer.instance = insert_returning(self.model, values)

    def perform_update(self, serializer):
        obj = serializer.instance
        values = {self.column_name(k): v for k, v in serializer.validated_data.items()}
        if values and not self.model.objects.filter(pk=obj.pk).update(**values):
            raise read_only_refusal(obj)
        serializer.instance = self.model.objects.get(pk=obj.pk)

    def perform_destroy(self, instance):
        deleted, _ = self.model.objects.filter(pk=instance.pk).delete()
        if not deleted:
            raise read_only_refusal(instance)

    def column_name(self, field):
        return field


class WorkFlowViewSet(ExtensionViewSet):
    """Workflows the user owns or that are shared with them, listed with their
    stages in order (the view workflow_with_stages)."""
    model = Workflow
    serializer_class = WorkflowSerializer

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return WorkflowWithStages.objects.order_by("id")
        return Workflow.objects.order_by("id")

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return WorkflowWithStagesSerializer
        return WorkflowSerializer

    def with_stages(self, workflow_id):
        return WorkflowWithStagesSerializer(WorkflowWithStages.objects.get(pk=workflow_id)).data

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_create(serializer)
        return Response(self.with_stages(serializer.instance.pk), status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(self.with_stages(kwargs["pk"]))

    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Assign this workflow to a job: assign_workflow(job_id, workflow_id)."""
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = call("SELECT * FROM assign_workflow(%s, %s)", [body.validated_data["job_id"], pk])[0]
        return Response(row)

    @action(detail=True, methods=["post", "delete"])
    def share(self, request, pk=None):
        """Share with another user (POST {user_id, can_edit}) or stop (DELETE {user_id})."""
        body = ShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grantee = "user:%d" % body.validated_data["user_id"]
        if request.method == "DELETE":
            call("SELECT unshare_workflow(%s, %s)", [pk, grantee])
            return Response(status=status.HTTP_204_NO_CONTENT)
        call("SELECT share_workflow(%s, %s, %s)", [pk, grantee, body.validated_data["can_edit"]])
        return Response({"workflow_id": int(pk), "grantee": grantee,
                         "can_edit": body.validated_data["can_edit"]})

    @action(detail=False, methods=["get"])
    def offers(self, request):
        """Shares offered to the user and not answered yet: pending_shares()
        (every user is a tenant of its own here, so every share is an offer)."""
        return Response(call("SELECT workflow_id, workflow_name, owner, can_edit, offered_at "
                             "FROM pending_shares()", []))

    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept a share offered to the user: accept_share(id) (404 when none)."""
        call("SELECT accept_share(%s)", [pk])
        return Response({"workflow_id": int(pk), "accepted": True})

    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline an offer: decline_share(id); sharing it again does not reopen it."""
        call("SELECT decline_share(%s)", [pk])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def leave(self, request, pk=None):
        """Give up an accepted share: leave_share(id)."""
        call("SELECT leave_share(%s)", [pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkFlowStageViewSet(ExtensionViewSet):
    """Stages; the detail (and list) carry the stage's rule and alerts (the view stage_with_rules)."""
    model = WorkflowStage
    serializer_class = StageSerializer
    filters = {"workflow": "workflow_id"}

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            queryset = StageWithRules.objects.order_by("workflow_id", "position")
            workflow = self.request.query_params.get("workflow")
            return queryset.filter(workflow_id=workflow) if workflow is not None else queryset
        return super().get_queryset()

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return StageWithRulesSerializer
        return StageSerializer


class StageRulesViewSet(ExtensionViewSet):
    """Rules; the extension validates the condition (22023 with its JSON path)
    and generates one alert per leaf, returned with the rule at once."""
    model = StageRule
    serializer_class = RuleSerializer
    filters = {"stage": "stage_id"}


class AlertViewSet(ExtensionViewSet):
    """Alerts; a bad field name, operator or value is refused by the extension (22023)."""
    model = Alert
    serializer_class = AlertSerializer
    filters = {"stage": "stage_id"}


class CandidateStageViewSet(ActorMixin, viewsets.ModelViewSet):
    """The pipeline: POST adds a candidate (add_candidate), PATCH/PUT moves one
    through the ORM's save() -- a move the extension's triggers check exactly
    like move-to-nextstage (23514, 55000, 40001 for a stale transition_id)."""
    serializer_class = CandidateStageSerializer
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        queryset = CandidateStage.objects.order_by("id")
        job = self.request.query_params.get("job")
        return queryset.filter(job_id=job) if job is not None else queryset

    def perform_create(self, serializer):
        v = serializer.validated_data
        serializer.instance = list(CandidateStage.objects.raw(
            "SELECT * FROM add_candidate(%s, %s)", [v["candidate_id"], v["job_id"]]))[0]

    def perform_update(self, serializer):
        row = serializer.instance
        for field, value in serializer.validated_data.items():
            setattr(row, field, value)
        try:
            row.save(force_update=True)          # the full-row save an ORM does
        except DatabaseError as exc:
            if exc.__cause__ is None:            # Django's "did not affect any rows"
                raise read_only_refusal(row)
            raise
        serializer.instance = CandidateStage.objects.get(pk=row.pk)
