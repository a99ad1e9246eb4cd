"""The pipeline as resources: jobs, their candidates (cards), moves, bulk
moves, status changes, transfers and removals, history, facts, the funnel,
alert events and the event feed.  Each is a thin call of the extension under
the request's identity (workflows/actor.py); its errors go to the one mapping
of workflows/errors.py.  A job id names the caller's tenant's job, else one
shared with it (job_tenant()); a job the caller cannot see is a 404."""
import json

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django_filters import rest_framework as filters
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.schemas.openapi import AutoSchema
from rest_framework.settings import api_settings

from .actor import ActorMixin
from .errors import ApiError
from .ids import BigIdFilter
from .parsers import JSONParser
from .models import AlertEvent, CandidateStage, JobWorkflow, StageTransition, WorkflowStage
from .serializers import (AlertEventSerializer, BulkMoveSerializer, CandidateSerializer,
                          CardSerializer, EmptySerializer, EventsQuerySerializer, JobSerializer, FactsSerializer,
                          FunnelQuerySerializer, MoveOneSerializer, ReopenSerializer,
                          RemoveSerializer, StatusSerializer, TransferSerializer,
                          TransitionSerializer)
from .views import call


def job_row(job_id):
    """The job's assignment as the caller sees it (404 job_not_found)."""
    rows = call("SELECT jw.job_id, jw.workflow_id, w.name AS workflow_name, jw.tenant, "
                "jw.assigned_at, jw.assigned_by FROM job_workflow jw "
                "JOIN workflow w ON w.id = jw.workflow_id "
                "WHERE jw.job_id = %s AND jw.tenant = job_tenant(%s)", [job_id, job_id])
    if not rows:
        raise ApiError(404, "not_found", "job %d not found" % job_id, reason="job_not_found",
                       job_id=job_id)
    return rows[0]


def open_alerts():
    events = AlertEvent.objects.filter(job_id=OuterRef("job_id"), candidate_id=OuterRef("candidate_id"),
                                       tenant=OuterRef("tenant"), acknowledged_at__isnull=True)
    return Coalesce(Subquery(events.values("candidate_id").annotate(n=Count("id")).values("n"),
                             output_field=IntegerField()), 0)


def cards(job):
    return (CandidateStage.objects.filter(job_id=job["job_id"], tenant=job["tenant"])
            .annotate(open_alerts=open_alerts()).order_by("id"))


def card(request, job_id, candidate_id):
    job = job_row(job_id)
    row = cards(job).filter(candidate_id=candidate_id).first()
    if row is None:
        raise ApiError(404, "not_found", "candidate %d is not in job %d" % (candidate_id, job_id),
                       reason="candidate_not_in_job", job_id=job_id, candidate_id=candidate_id)
    return CardSerializer(row).data


def query(request):
    """The query parameters as a dict for a serializer, without ?format= (the
    browsable API's own ?format=api and ?format=json, which DRF reads itself)."""
    params = request.query_params.dict()
    params.pop(api_settings.URL_FORMAT_OVERRIDE, None)
    return params


# Facts are JSON objects: a form or multipart body cannot say them (DRF's
# DictField reads a form without "attributes.<key>" fields as {}, so such a
# PUT replaced the facts with nothing, 200).  415 for anything but JSON.
FACTS_PARSERS = [JSONParser]


def valid(serializer_class, data):
    body = serializer_class(data=data)
    body.is_valid(raise_exception=True)
    return body.validated_data


class JobView(ActorMixin, generics.GenericAPIView):
    """One object (or one call): no page, no filters."""
    pagination_class = None
    filter_backends = []


class JobFilter(filters.FilterSet):
    workflow = BigIdFilter(field_name="workflow_id")


class JobList(ActorMixin, generics.ListAPIView):
    """GET jobs/: the jobs the user sees (job_workflow), with their workflow
    and how many candidates stand in each."""
    filterset_class = JobFilter
    serializer_class = JobSerializer

    def get_queryset(self):
        return JobWorkflow.objects.select_related("workflow").order_by("job_id", "id")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        counts = {}
        ids = [j.job_id for j in page]
        if ids:
            for row in call("SELECT job_id, tenant, count(*) AS n FROM candidate_stage "
                            "WHERE job_id = ANY(%s::bigint[]) GROUP BY job_id, tenant", [ids]):
                counts[(row["job_id"], row["tenant"])] = row["n"]
        return self.get_paginated_response([
            {"id": j.job_id, "workflow_id": j.workflow_id, "workflow_name": j.workflow.name,
             "tenant": j.tenant, "assigned_at": j.assigned_at, "assigned_by": j.assigned_by,
             "candidates": counts.get((j.job_id, j.tenant), 0)} for j in page])


class JobDetail(JobView):
    """GET jobs/<job_id>/: the job, its workflow and its stages in order
    (archived ones flagged: candidates may still stand in them)."""
    serializer_class = JobSerializer

    def get(self, request, job_id):
        job = job_row(job_id)
        stages = WorkflowStage.objects.filter(workflow_id=job["workflow_id"]).order_by("position")
        return Response({"id": job_id, "workflow_id": job["workflow_id"],
                         "workflow_name": job["workflow_name"], "tenant": job["tenant"],
                         "assigned_at": job["assigned_at"], "assigned_by": job["assigned_by"],
                         "stages": [{"id": s.id, "name": s.name, "position": s.position,
                                     "kind": s.kind, "sla": s.sla,
                                     "archived": s.archived_at is not None} for s in stages]})


class CardFilter(filters.FilterSet):
    stage = BigIdFilter(field_name="stage_id")
    status = filters.ChoiceFilter(choices=[(s, s) for s in
                                           ("active", "hired", "rejected", "withdrawn", "transferred")])


class JobPipeline(ActorMixin, generics.ListAPIView):
    """GET jobs/<job_id>/pipeline/?stage=&status=&page=&page_size=: the cards."""
    serializer_class = CardSerializer
    filterset_class = CardFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False) or "job_id" not in self.kwargs:
            return CandidateStage.objects.none()
        return cards(job_row(self.kwargs["job_id"]))


class JobCandidates(JobView):
    """POST jobs/<job_id>/candidates/ {candidate_id}: add_candidate(); 201, Location of the card."""
    serializer_class = CandidateSerializer

    def post(self, request, job_id):
        v = valid(CandidateSerializer, request.data)
        call("SELECT 1 FROM add_candidate(%s, %s)", [v["candidate_id"], job_id])
        return Response(card(request, job_id, v["candidate_id"]), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("job-candidate", args=[job_id, v["candidate_id"]],
                                                     request=request)})


class JobCandidate(JobView):
    """GET jobs/<job_id>/candidates/<candidate_id>/: the card;
    DELETE (optional body or ?reason=): remove_candidate(); 204."""
    serializer_class = RemoveSerializer

    def get(self, request, job_id, candidate_id):
        return Response(card(request, job_id, candidate_id))

    def delete(self, request, job_id, candidate_id):
        data = request.data if request.data else query(request)
        v = valid(RemoveSerializer, data)
        call("SELECT remove_candidate(%s, %s, %s)", [candidate_id, job_id, v.get("reason")])
        return Response(status=status.HTTP_204_NO_CONTENT)


class MoveCandidate(JobView):
    """POST jobs/<job_id>/candidates/<candidate_id>/move/ {to_stage_id?, reason?,
    expected_stage_id?}: move_to_stage() (to_stage_id), else move_to_next_stage();
    200 {candidate_id, from_stage_id, to_stage_id, to_stage_name, transition_id,
    alerts_raised, warnings}.  A blocking rule: 409 rule_blocked with failed."""
    serializer_class = MoveOneSerializer

    def post(self, request, job_id, candidate_id):
        v = valid(MoveOneSerializer, request.data)
        to_stage, expected, reason = v.get("to_stage_id"), v.get("expected_stage_id"), v.get("reason")
        if to_stage is None and reason is None:
            row = call("SELECT * FROM move_to_next_stage(%s, %s, %s)", [candidate_id, job_id, expected],
                       json_columns=["warnings"])[0]
            return Response(row)
        if expected is not None:
            self.check_expected(job_id, candidate_id, expected)
        if to_stage is not None:
            row = call("SELECT * FROM move_to_stage(%s, %s, %s, %s)",
                       [candidate_id, job_id, to_stage, reason], json_columns=["warnings"])[0]
            return Response(row)
        # The next stage with a reason: move_to_next_stage() takes none, so the
        # single move's own code through move_candidates(), which records it; a
        # refusal (nothing changed) is raised again by move_to_next_stage() with
        # its message and DETAIL.
        row = call("SELECT * FROM move_candidates(%s, ARRAY[%s]::bigint[], NULL, %s)",
                   [job_id, candidate_id, reason], json_columns=["detail"])[0]
        if row["outcome"] != "moved":
            row = call("SELECT * FROM move_to_next_stage(%s, %s)", [candidate_id, job_id],
                       json_columns=["warnings"])[0]
            return Response(row)
        name = call("SELECT name FROM workflow_stage WHERE id = %s", [row["to_stage_id"]])
        return Response({"job_id": job_id, "candidate_id": candidate_id,
                         "from_stage_id": row["from_stage_id"], "to_stage_id": row["to_stage_id"],
                         "to_stage_name": name[0]["name"] if name else None,
                         "transition_id": row["transition_id"],
                         "alerts_raised": row["detail"].get("alerts_raised", 0),
                         "warnings": row["detail"].get("warnings", [])})

    @staticmethod
    def check_expected(job_id, candidate_id, expected):
        """expected_stage_id with a target or a reason: the row locked, then compared (409)."""
        current = call("SELECT stage_id FROM candidate_stage WHERE job_id = %s AND candidate_id = %s "
                       "AND tenant = pipeline_tenant(%s, %s) FOR UPDATE",
                       [job_id, candidate_id, job_id, candidate_id])
        if current and current[0]["stage_id"] != expected:
            raise ApiError(409, "55000",
                           "candidate %d is in stage %d, not in stage %d"
                           % (candidate_id, current[0]["stage_id"], expected),
                           reason="stale_expected_stage", stage_id=current[0]["stage_id"],
                           expected_stage_id=expected)


class BulkMove(JobView):
    """POST jobs/<job_id>/move/ {candidate_ids, to_stage_id?, reason?}:
    move_candidates(); 200 {results: one row per id, in order}."""
    serializer_class = BulkMoveSerializer

    def post(self, request, job_id):
        v = valid(BulkMoveSerializer, request.data)
        rows = call("SELECT * FROM move_candidates(%s, %s::bigint[], %s, %s)",
                    [job_id, v["candidate_ids"], v.get("to_stage_id"), v.get("reason")],
                    json_columns=["detail"])
        return Response({"results": rows})


class StatusChange(JobView):
    """POST jobs/<job_id>/candidates/<candidate_id>/reject/ | withdraw/
    {reason?, reason_code?}: reject_candidate() / withdraw_candidate(); 200, the card."""
    serializer_class = StatusSerializer
    function = None

    def post(self, request, job_id, candidate_id):
        v = valid(StatusSerializer, request.data)
        call("SELECT 1 FROM %s(%%s, %%s, %%s, %%s)" % self.function,
             [candidate_id, job_id, v.get("reason"), v.get("reason_code")])
        return Response(card(request, job_id, candidate_id))


class Reject(StatusChange):
    function = "reject_candidate"
    schema = AutoSchema(operation_id_base="Rejection")


class Withdraw(StatusChange):
    function = "withdraw_candidate"
    schema = AutoSchema(operation_id_base="Withdrawal")


class Reopen(JobView):
    """POST jobs/<job_id>/candidates/<candidate_id>/reopen/ {reason?}: active
    again in the same stage (reopen_candidate, with the reason recorded); 200, the card."""
    serializer_class = ReopenSerializer

    def post(self, request, job_id, candidate_id):
        v = valid(ReopenSerializer, request.data)
        if v.get("reason") is None:
            call("SELECT 1 FROM reopen_candidate(%s, %s)", [candidate_id, job_id])
        else:
            call("SELECT 1 FROM set_candidate_status(%s, %s, 'active', %s)",
                 [candidate_id, job_id, v["reason"]])
        return Response(card(request, job_id, candidate_id))


class Transfer(JobView):
    """POST jobs/<job_id>/candidates/<candidate_id>/transfer/ {to_job_id,
    to_stage_id?, reason?}: transfer_candidate(); 201, the new card, Location in to_job_id."""
    serializer_class = TransferSerializer

    def post(self, request, job_id, candidate_id):
        v = valid(TransferSerializer, request.data)
        call("SELECT 1 FROM transfer_candidate(%s, %s, %s, %s, %s)",
             [candidate_id, job_id, v["to_job_id"], v.get("to_stage_id"), v.get("reason")])
        return Response(card(request, v["to_job_id"], candidate_id), status=status.HTTP_201_CREATED,
                        headers={"Location": reverse("job-candidate", args=[v["to_job_id"], candidate_id],
                                                     request=request)})


class HistoryFilter(filters.FilterSet):
    candidate = BigIdFilter(field_name="candidate_id")


class JobHistory(ActorMixin, generics.ListAPIView):
    """GET jobs/<job_id>/history/?candidate=, jobs/<job_id>/candidates/<candidate_id>/history/:
    stage_transition, oldest first."""
    serializer_class = TransitionSerializer
    filterset_class = HistoryFilter

    def get_queryset(self):
        if "job_id" not in self.kwargs:
            return StageTransition.objects.none()
        job = job_row(self.kwargs["job_id"])
        rows = StageTransition.objects.filter(job_id=job["job_id"], tenant=job["tenant"])
        if "candidate_id" in self.kwargs:
            rows = rows.filter(candidate_id=self.kwargs["candidate_id"])
        return rows.order_by("id")


class CandidateHistory(JobHistory):
    schema = AutoSchema(operation_id_base="CandidateTransition")


class JobFunnel(JobView):
    """GET jobs/<job_id>/funnel/?since=&until=&workflow=: pipeline_funnel(job, workflow), times in
    seconds.  workflow names which job a job id two sharing tenants both use is (409 ambiguous
    without it); the function answers for a job or workflow the caller cannot see (404)."""
    serializer_class = FunnelQuerySerializer

    def get(self, request, job_id):
        v = valid(FunnelQuerySerializer, query(request))
        if v.get("workflow") is None:
            job_row(job_id)
        rows = call("SELECT * FROM pipeline_funnel(%s, %s, %s, %s)",
                    [job_id, v.get("workflow"), v.get("since"), v.get("until")])
        for row in rows:
            row["conversion"] = float(row["conversion"]) if row["conversion"] is not None else None
            for name in ("median_time_in_stage", "p90_time_in_stage"):
                value = row.pop(name)
                row[name + "_seconds"] = value.total_seconds() if value is not None else None
        return Response({"job_id": job_id, "results": rows})


class JobFacts(JobView):
    """GET jobs/<job_id>/facts/: the job's facts (job_profile); PUT {attributes}: replaces them."""
    serializer_class = FactsSerializer
    parser_classes = FACTS_PARSERS
    schema = AutoSchema(operation_id_base="JobFacts")

    def get(self, request, job_id):
        job = job_row(job_id)
        rows = call("SELECT attributes FROM job_profile WHERE job_id = %s AND tenant = %s",
                    [job_id, job["tenant"]], json_columns=["attributes"])
        return Response({"job_id": job_id, "attributes": rows[0]["attributes"] if rows else {}})

    def put(self, request, job_id):
        v = valid(FactsSerializer, request.data)
        job = job_row(job_id)
        # A job shared by another tenant: its facts are that tenant's.  The INSERT
        # would write a row of the caller's own tenant for this id, which the job
        # never reads (and the answer, the job's facts, would not show it).
        if job["tenant"] != call("SELECT current_tenant() AS t", [])[0]["t"]:
            raise ApiError(403, "permission_denied", "the facts of job %d are tenant %s's"
                           % (job_id, job["tenant"]), reason="other_tenant_facts", job_id=job_id)
        call("INSERT INTO job_profile (job_id, attributes) VALUES (%s, %s::jsonb) "
             "ON CONFLICT (tenant, job_id) DO UPDATE SET attributes = EXCLUDED.attributes "
             "RETURNING id", [job_id, json.dumps(v["attributes"])])
        return self.get(request, job_id)


class CandidateFacts(JobView):
    """GET candidates/<candidate_id>/facts/: candidate_facts(id), what rules read;
    PUT {attributes}: the candidate's profile (candidate_profile) in the user's organization."""
    serializer_class = FactsSerializer
    parser_classes = FACTS_PARSERS
    schema = AutoSchema(operation_id_base="CandidateFacts")

    def get(self, request, candidate_id):
        facts = call("SELECT candidate_facts(%s) AS f", [candidate_id], json_columns=["f"])[0]["f"]
        return Response({"candidate_id": candidate_id, "attributes": facts})

    def put(self, request, candidate_id):
        v = valid(FactsSerializer, request.data)
        call("INSERT INTO candidate_profile (candidate_id, attributes) VALUES (%s, %s::jsonb) "
             "ON CONFLICT (tenant, candidate_id) DO UPDATE SET attributes = EXCLUDED.attributes "
             "RETURNING id", [candidate_id, json.dumps(v["attributes"])])
        return self.get(request, candidate_id)


class ApplicationFacts(JobView):
    """GET jobs/<job_id>/candidates/<candidate_id>/facts/: candidate_facts(id, job):
    {candidate, application, job}, every source a rule of the job reads;
    PUT {attributes}: the application's facts (candidate_stage.attributes)."""
    serializer_class = FactsSerializer
    parser_classes = FACTS_PARSERS
    schema = AutoSchema(operation_id_base="ApplicationFacts")

    def get(self, request, job_id, candidate_id):
        card(request, job_id, candidate_id)
        facts = call("SELECT candidate_facts(%s, %s) AS f", [candidate_id, job_id],
                     json_columns=["f"])[0]["f"]
        return Response(dict(facts, candidate_id=candidate_id, job_id=job_id))

    def put(self, request, job_id, candidate_id):
        v = valid(FactsSerializer, request.data)
        card(request, job_id, candidate_id)
        rows = call("UPDATE candidate_stage SET attributes = %s::jsonb WHERE job_id = %s "
                    "AND candidate_id = %s AND tenant = pipeline_tenant(%s, %s) RETURNING id",
                    [json.dumps(v["attributes"]), job_id, candidate_id, job_id, candidate_id])
        if not rows:
            raise ApiError(403, "permission_denied", "the application facts of candidate %d in job %d "
                           "are not yours to write" % (candidate_id, job_id), reason="other_tenant_facts")
        return self.get(request, job_id, candidate_id)


class AlertEventFilter(filters.FilterSet):
    job = BigIdFilter(field_name="job_id")
    candidate = BigIdFilter(field_name="candidate_id")
    stage = BigIdFilter(field_name="stage_id")
    acknowledged = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull",
                                         exclude=True)


class AlertEventList(ActorMixin, generics.ListAPIView):
    """GET alert-events/?job=&candidate=&stage=&acknowledged=: newest first."""
    serializer_class = AlertEventSerializer
    filterset_class = AlertEventFilter

    def get_queryset(self):
        return AlertEvent.objects.order_by("-id")


class AlertEventDetail(ActorMixin, generics.RetrieveAPIView):
    """GET alert-events/<pk>/."""
    serializer_class = AlertEventSerializer

    def get_queryset(self):
        return AlertEvent.objects.all()


class AcknowledgeAlert(JobView):
    """POST alert-events/<alert_event_id>/acknowledge/: acknowledge_alert(); 200, the event
    (409 already_acknowledged)."""
    serializer_class = EmptySerializer

    def post(self, request, alert_event_id):
        valid(EmptySerializer, request.data or {})
        call("SELECT 1 FROM acknowledge_alert(%s)", [alert_event_id])
        return Response(AlertEventSerializer(AlertEvent.objects.get(pk=alert_event_id)).data)


class EventFeed(JobView):
    """GET events/?cursor=&limit=: workflow_events_since(cursor, limit), the
    durable feed: {results: [{cursor, event}], cursor: the one to send next,
    next: the URL of the next page}."""
    serializer_class = EventsQuerySerializer

    def get(self, request):
        v = valid(EventsQuerySerializer, query(request))
        rows = call("SELECT cursor, event FROM workflow_events_since(%s, %s)",
                    [v.get("cursor"), v.get("limit", 100)], json_columns=["event"])
        cursor = rows[-1]["cursor"] if rows else v.get("cursor")
        url = reverse("events", request=request)
        # the next page asks for as many as this one did
        params = "&".join(part for part in ("cursor=%s" % cursor if cursor else "",
                                            "limit=%d" % v["limit"] if "limit" in v else "") if part)
        return Response({"results": rows, "cursor": cursor, "next": "%s?%s" % (url, params) if params else url})
