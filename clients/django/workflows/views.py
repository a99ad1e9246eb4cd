"""The REST API, each endpoint a thin call of the extension.  Every view
derives from ActorMixin (workflows/actor.py: the actor is set in the
request's transaction) and lets database errors travel to the one mapping in
workflows/errors.py.  What a user may see or change is decided by the
extension's row-level security: a row RLS hides is a 404, a row the user sees
but may not change is a 403 (RLS filters such an UPDATE or DELETE to zero
rows, or refuses the new row with 42501)."""
import json

from django.contrib.auth.models import User
from django.db import DatabaseError
from django_filters import rest_framework as filters
from rest_framework import generics, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from . import shards
from .actor import ActorMixin, actor_of, tenant_of
from .errors import ApiError
from .ids import BigIdFilter
from .models import (Alert, CandidateStage, RejectionReason, StageRule, StageWithRules,
                     Workflow, WorkflowShare, WorkflowStage, WorkflowWithStages,
                     insert_returning)
from .serializers import (AlertSerializer, AssignSerializer, CandidateStageSerializer,
                          CloneSerializer, EmptySerializer, MoveSerializer, RejectionReasonSerializer,
                          ReorderSerializer, RuleSerializer, ShareSerializer,
                          StageSerializer, StageWithRulesSerializer, WorkflowSerializer,
                          WorkflowShareSerializer, WorkflowWithStagesSerializer)


def call(sql, params, json_columns=()):
    """Run one statement; its rows as dicts (jsonb columns decoded)."""
    with shards.connection().cursor() as cursor:
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


def created(request, data, route, *args):
    """201 with Location: the new object's URL."""
    return Response(data, status=status.HTTP_201_CREATED,
                    headers={"Location": reverse(route, args=args, request=request)})


def no_body(request):
    """A POST that takes no body: 400 for any field sent."""
    EmptySerializer(data=request.data or {}).is_valid(raise_exception=True)


def user_of_actor(actor):
    """The username an actor 'user:<id>' names, or None."""
    if actor and actor.startswith("user:") and actor[5:].isdigit():
        user = User.objects.filter(pk=int(actor[5:])).first()
        return user.username if user else None
    return None


# -- Filters (django-filter): ids checked to bigint, 400 otherwise ---------------

class StageFilter(filters.FilterSet):
    workflow = BigIdFilter(field_name="workflow_id")


class ByStageFilter(filters.FilterSet):
    stage = BigIdFilter(field_name="stage_id")


class PipelineFilter(filters.FilterSet):
    job = BigIdFilter(field_name="job_id")
    candidate = BigIdFilter(field_name="candidate_id")
    status = filters.ChoiceFilter(choices=[(s, s) for s in
                                           ("active", "hired", "rejected", "withdrawn", "transferred")])


class RejectionReasonFilter(filters.FilterSet):
    kind = filters.ChoiceFilter(choices=[("rejected", "rejected"), ("withdrawn", "withdrawn")])
    active = filters.BooleanFilter()


# -- The REST API's three endpoints -------------------------------------------

class StageRuleView(ActorMixin, APIView):
    """GET stage/<stage_id>/rule/: get_stage_rule(); 404 names the stage or the missing rule."""

    def get(self, request, stage_id):
        rule = list(StageRule.objects.raw("SELECT * FROM get_stage_rule(%s)", [stage_id]))[0]
        return Response(RuleSerializer(rule).data)


class StageAlertsView(ActorMixin, APIView):
    """GET stage/<stage_id>/alert/: get_stage_alerts(); 404 when the stage is missing or has none."""

    def get(self, request, stage_id):
        # The seed's contract: the array itself, not a page (alerts/?stage= pages).
        alerts = list(Alert.objects.raw("SELECT * FROM get_stage_alerts(%s) ORDER BY id", [stage_id]))
        return Response(AlertSerializer(alerts, many=True).data)


class MoveToNextStageView(ActorMixin, APIView):
    """PATCH move-to-nextstage/ {candidate_id, job_id[, expected_stage_id]}: move_to_next_stage()."""
    serializer_class = MoveSerializer

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
    route = None            # the detail route's name, for Location
    filterset_class = None
    lookup_value_regex = "-?[0-9]+"     # not digits: no route (404); out of bigint: 400

    def get_queryset(self):
        return self.model.objects.order_by("id")

    def get_success_headers(self, data):
        return {"Location": reverse(self.route, args=[data["id"]], request=self.request)}

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
    route = "workflow-detail"

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
        return created(request, self.with_stages(serializer.instance.pk), "workflow-detail",
                       serializer.instance.pk)

    def update(self, request, *args, **kwargs):
        super().update(request, *args, **kwargs)
        return Response(self.with_stages(kwargs["pk"]))

    @action(detail=True, methods=["post"], serializer_class=AssignSerializer)
    def assign(self, request, pk=None):
        """Assign this workflow to a job: assign_workflow(job_id, workflow_id)."""
        body = AssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        row = call("SELECT * FROM assign_workflow(%s, %s)", [body.validated_data["job_id"], pk])[0]
        return Response(row)

    @action(detail=True, methods=["post"], serializer_class=ShareSerializer)
    def share(self, request, pk=None):
        """The seed's share: POST {user_id | username, can_edit} shares (DELETE
        with the same body unshares).  workflows/<id>/shares/ is the resource to use."""
        body = ShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = body.validated_data["user"]
        grantee, grantee_tenant = actor_of(user), tenant_of(user)
        call("SELECT share_workflow(%s, %s, %s, %s)",
             [pk, grantee, body.validated_data["can_edit"], grantee_tenant])
        return Response({"workflow_id": int(pk), "grantee": grantee,
                         "can_edit": body.validated_data["can_edit"]})

    @share.mapping.delete
    def unshare(self, request, pk=None):
        """The seed's unshare: DELETE workflows/<id>/share/ {user_id | username}."""
        body = ShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = body.validated_data["user"]
        call("SELECT unshare_workflow(%s, %s, %s)", [pk, actor_of(user), tenant_of(user)])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], serializer_class=CloneSerializer)
    def clone(self, request, pk=None):
        """clone_workflow(id, name): 201, Location of the copy."""
        body = CloneSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        new = call("SELECT clone_workflow(%s, %s) AS id", [pk, body.validated_data["name"]])[0]["id"]
        return created(request, self.with_stages(new), "workflow-detail", new)

    @action(detail=True, methods=["post"], serializer_class=ReorderSerializer)
    def reorder(self, request, pk=None):
        """reorder_stages(id, stage_ids): the workflow with its stages in the new order."""
        body = ReorderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        call("SELECT reorder_stages(%s, %s::bigint[])", [pk, body.validated_data["stage_ids"]])
        return Response(self.with_stages(pk))

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def archive(self, request, pk=None):
        """archive_workflow(id)."""
        no_body(request)
        call("SELECT 1 FROM archive_workflow(%s)", [pk])
        return Response(self.with_stages(pk))

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def unarchive(self, request, pk=None):
        """unarchive_workflow(id)."""
        no_body(request)
        call("SELECT 1 FROM unarchive_workflow(%s)", [pk])
        return Response(self.with_stages(pk))


    @action(detail=False, methods=["get"], serializer_class=EmptySerializer)
    def offers(self, request):
        """Shares offered to the user and not answered yet: pending_shares()
        (every user is a tenant of its own here, so every share is an offer)."""
        rows = call("SELECT workflow_id, workflow_name, owner, can_edit, offered_at "
                    "FROM pending_shares()", [])
        return self.get_paginated_response(self.paginate_queryset(rows))

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def accept(self, request, pk=None):
        """Accept a share offered to the user: accept_share(id) (404 when none)."""
        no_body(request)
        call("SELECT accept_share(%s)", [pk])
        return Response({"workflow_id": int(pk), "accepted": True})

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def decline(self, request, pk=None):
        """Decline an offer: decline_share(id); sharing it again does not reopen it."""
        no_body(request)
        call("SELECT decline_share(%s)", [pk])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def leave(self, request, pk=None):
        """Give up an accepted share: leave_share(id)."""
        no_body(request)
        call("SELECT leave_share(%s)", [pk])
        return Response(status=status.HTTP_204_NO_CONTENT)


def shares_of(workflow_id):
    return WorkflowShare.objects.filter(workflow_id=workflow_id).order_by("id")


def share_row(share):
    return WorkflowShareSerializer({
        "id": share.id, "workflow_id": share.workflow_id, "username": user_of_actor(share.grantee),
        "grantee": share.grantee, "grantee_tenant": share.grantee_tenant,
        "can_edit": share.can_edit, "accepted": share.accepted_at is not None,
        "declined": share.declined_at is not None, "created_at": share.created_at}).data


class WorkflowSharesView(ActorMixin, generics.GenericAPIView):
    """GET workflows/<id>/shares/: the workflow's shares (those the user may
    see: an owner's or an administrator's); POST {username, can_edit}:
    share_workflow() with that user, in its organization; 201, Location of the share."""
    serializer_class = ShareSerializer
    filter_backends = []

    def get_queryset(self):
        """The shares (the browsable API's page asks for the queryset of a list)."""
        return shares_of(self.kwargs.get("workflow_id"))

    def visible(self, workflow_id):
        if not Workflow.objects.filter(pk=workflow_id).exists():
            raise ApiError(404, "not_found", "workflow %d not found" % workflow_id,
                           reason="workflow_not_found", workflow_id=workflow_id)

    def get(self, request, workflow_id):
        self.visible(workflow_id)
        return self.get_paginated_response(
            [share_row(s) for s in self.paginate_queryset(shares_of(workflow_id))])

    def post(self, request, workflow_id):
        body = ShareSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        self.visible(workflow_id)
        user = body.validated_data["user"]
        grantee, grantee_tenant = actor_of(user), tenant_of(user)
        call("SELECT share_workflow(%s, %s, %s, %s)",
             [workflow_id, grantee, body.validated_data["can_edit"], grantee_tenant])
        share = shares_of(workflow_id).get(grantee=grantee, grantee_tenant=grantee_tenant)
        return created(request, share_row(share), "workflow-share-detail", workflow_id, share.pk)


class WorkflowShareView(ActorMixin, generics.GenericAPIView):
    """GET workflows/<id>/shares/<share_id>/: one share; DELETE: unshare_workflow()."""
    serializer_class = WorkflowShareSerializer
    pagination_class = None
    filter_backends = []

    def share(self, workflow_id, share_id):
        share = shares_of(workflow_id).filter(pk=share_id).first()
        if share is None:
            raise ApiError(404, "not_found", "share %d of workflow %d not found" % (share_id, workflow_id),
                           reason="share_not_found")
        return share

    def get(self, request, workflow_id, share_id):
        return Response(share_row(self.share(workflow_id, share_id)))

    def delete(self, request, workflow_id, share_id):
        share = self.share(workflow_id, share_id)
        call("SELECT unshare_workflow(%s, %s, %s)", [workflow_id, share.grantee, share.grantee_tenant])
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkFlowStageViewSet(ExtensionViewSet):
    """Stages; the detail (and list) carry the stage's rule and alerts (the view stage_with_rules)."""
    model = WorkflowStage
    serializer_class = StageSerializer
    filterset_class = StageFilter
    route = "stage-detail"

    def get_queryset(self):
        if self.action in ("list", "retrieve"):
            return StageWithRules.objects.order_by("workflow_id", "position")
        return super().get_queryset()

    def stage(self, pk):
        return StageWithRulesSerializer(StageWithRules.objects.get(pk=pk)).data

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def archive(self, request, pk=None):
        """archive_stage(id): no candidate enters it any more."""
        no_body(request)
        call("SELECT 1 FROM archive_stage(%s)", [pk])
        return Response(self.stage(pk))

    @action(detail=True, methods=["post"], serializer_class=EmptySerializer)
    def unarchive(self, request, pk=None):
        """unarchive_stage(id)."""
        no_body(request)
        call("SELECT 1 FROM unarchive_stage(%s)", [pk])
        return Response(self.stage(pk))

    def get_serializer_class(self):
        if self.action in ("list", "retrieve"):
            return StageWithRulesSerializer
        return StageSerializer


class StageRulesViewSet(ExtensionViewSet):
    """Rules; the extension validates the condition (22023 with its JSON path)
    and generates one alert per leaf, returned with the rule at once."""
    model = StageRule
    serializer_class = RuleSerializer
    filterset_class = ByStageFilter
    route = "rule-detail"


class AlertViewSet(ExtensionViewSet):
    """Alerts; a bad field name, operator or value is refused by the extension (22023)."""
    model = Alert
    serializer_class = AlertSerializer
    filterset_class = ByStageFilter
    route = "alert-detail"


class RejectionReasonViewSet(ExtensionViewSet):
    """The organization's catalogue of rejection and withdrawal reason codes
    (rejection_reason): any actor of the tenant reads and adds codes;
    active = false retires one."""
    model = RejectionReason
    serializer_class = RejectionReasonSerializer
    filterset_class = RejectionReasonFilter
    route = "rejection-reason-detail"

    def get_queryset(self):
        return RejectionReason.objects.order_by("kind", "code")


class CandidateStageViewSet(ActorMixin, viewsets.ModelViewSet):
    """The pipeline: POST adds a candidate (add_candidate), PATCH/PUT moves one
    through the ORM's save() -- a move the extension's triggers check exactly
    like move-to-nextstage (23514, 55000, 40001 for a stale transition_id)."""
    serializer_class = CandidateStageSerializer
    filterset_class = PipelineFilter
    lookup_value_regex = "-?[0-9]+"
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return CandidateStage.objects.order_by("id")

    def get_success_headers(self, data):
        return {"Location": reverse("pipeline-detail", args=[data["id"]], request=self.request)}

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
