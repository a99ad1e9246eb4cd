"""The REST routes the board reads and writes, as agreed with the API
(issue 20, item 2), in their smallest form: ONLY for running the board and
its browser test on a tree whose API does not serve them yet.  They are
routed only when the setting WF_BOARD_CONTRACT_API is on (environment
WF_BOARD_CONTRACT_API=1), which run-board-tests.sh sets only when the
application's own URLconf does not resolve /jobs/1/pipeline/; once the API
serves these routes this module is never routed and can go.

  GET  /jobs/                                   {count,next,previous,results:[{id, workflow_id, workflow_name}]}
  GET  /jobs/<job_id>/                          {id, workflow_id, workflow_name, stages:[{id,name,position,archived}]}
  GET  /jobs/<job_id>/pipeline/?stage=&page=&page_size=
                                                cards {candidate_id, stage_id, status, entered_stage_at,
                                                       time_in_stage_seconds, open_alerts}
  POST /jobs/<job_id>/candidates/<id>/move/     {to_stage_id?, reason?, expected_stage_id?}
  POST /jobs/<job_id>/move/                     {candidate_ids, to_stage_id?, reason?}
  POST /jobs/<job_id>/candidates/<id>/reject/   {reason?, reason_code?}
  GET  /rejection-reasons/                      {results:[{code, label, kind, active}]}
  GET  /jobs/<job_id>/funnel/                   {results:[pipeline_funnel rows, times as *_seconds]}
  GET  /jobs/<job_id>/candidates/<id>/history/  paginated stage_transition rows, oldest first (the test reads it)

Each is one call of the extension under the request's actor (ActorMixin);
errors are the extension's, mapped by workflows/errors.py."""
from django.urls import path
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows.actor import ActorMixin
from workflows.views import call

BIGINT = {"min_value": 1, "max_value": 2 ** 63 - 1}


class Pages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def paginated(view, request, rows):
    pages = Pages()
    page = pages.paginate_queryset(rows, request, view=view)
    return pages.get_paginated_response(page)


def job_workflow(job_id):
    rows = call("SELECT jw.job_id AS id, jw.workflow_id, w.name AS workflow_name FROM job_workflow jw "
                "JOIN workflow w ON w.id = jw.workflow_id WHERE jw.job_id = %s ORDER BY jw.id LIMIT 1",
                [job_id])
    if not rows:
        raise NotFound("job %d not found" % job_id)
    return rows[0]


class Jobs(ActorMixin, APIView):
    def get(self, request):
        rows = call("SELECT jw.job_id AS id, jw.workflow_id, w.name AS workflow_name FROM job_workflow jw "
                    "JOIN workflow w ON w.id = jw.workflow_id ORDER BY jw.job_id", [])
        return paginated(self, request, rows)


class Job(ActorMixin, APIView):
    def get(self, request, job_id):
        job = job_workflow(job_id)
        job["stages"] = call("SELECT id, name, position, archived_at IS NOT NULL AS archived "
                             "FROM workflow_stage WHERE workflow_id = %s ORDER BY position",
                             [job["workflow_id"]])
        return Response(job)


class Pipeline(ActorMixin, APIView):
    def get(self, request, job_id):
        job_workflow(job_id)
        stage = request.query_params.get("stage")
        if stage is not None and not stage.isdigit():
            raise serializers.ValidationError({"stage": "a stage id"})
        rows = call("""
            SELECT cs.candidate_id, cs.stage_id, cs.status, cs.entered_at AS entered_stage_at,
                   floor(extract(epoch FROM now() - cs.entered_at))::bigint AS time_in_stage_seconds,
                   (SELECT count(*) FROM alert_event ae
                     WHERE ae.job_id = cs.job_id AND ae.candidate_id = cs.candidate_id
                       AND ae.tenant = cs.tenant AND ae.acknowledged_at IS NULL) AS open_alerts
              FROM candidate_stage cs
             WHERE cs.job_id = %s AND (%s::bigint IS NULL OR cs.stage_id = %s::bigint)
             ORDER BY cs.candidate_id""", [job_id, stage, stage])
        return paginated(self, request, rows)


class MoveBody(serializers.Serializer):
    to_stage_id = serializers.IntegerField(required=False, allow_null=True, **BIGINT)
    expected_stage_id = serializers.IntegerField(required=False, allow_null=True, **BIGINT)
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)


class Move(ActorMixin, APIView):
    def post(self, request, job_id, candidate_id):
        body = MoveBody(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        if v.get("to_stage_id") is None:
            row = call("SELECT * FROM move_to_next_stage(%s, %s, %s)",
                       [candidate_id, job_id, v.get("expected_stage_id")], json_columns=["warnings"])[0]
        else:
            if v.get("expected_stage_id") is not None:
                now = call("SELECT stage_id FROM candidate_stage WHERE job_id = %s AND candidate_id = %s "
                           "FOR UPDATE", [job_id, candidate_id])
                if now and now[0]["stage_id"] != v["expected_stage_id"]:
                    return Response({"detail": "candidate %d is not in stage %d" % (candidate_id, v["expected_stage_id"]),
                                     "code": "55000", "reason": "stale_expected_stage",
                                     "stage_id": now[0]["stage_id"], "expected_stage_id": v["expected_stage_id"]},
                                    status=409)
            row = call("SELECT * FROM move_to_stage(%s, %s, %s, %s)",
                       [candidate_id, job_id, v["to_stage_id"], v.get("reason")], json_columns=["warnings"])[0]
        return Response({k: row[k] for k in ("candidate_id", "from_stage_id", "to_stage_id",
                                              "transition_id", "warnings")})


class BulkBody(serializers.Serializer):
    candidate_ids = serializers.ListField(child=serializers.IntegerField(**BIGINT), min_length=1, max_length=1000)
    to_stage_id = serializers.IntegerField(required=False, allow_null=True, **BIGINT)
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)


class BulkMove(ActorMixin, APIView):
    def post(self, request, job_id):
        body = BulkBody(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        rows = call("SELECT * FROM move_candidates(%s, %s, %s, %s)",
                    [job_id, v["candidate_ids"], v.get("to_stage_id"), v.get("reason")],
                    json_columns=["detail"])
        return Response({"results": rows})


class RejectBody(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)
    reason_code = serializers.CharField(required=False, allow_null=True, max_length=200)


class Reject(ActorMixin, APIView):
    def post(self, request, job_id, candidate_id):
        body = RejectBody(data=request.data)
        body.is_valid(raise_exception=True)
        v = body.validated_data
        row = call("SELECT candidate_id, job_id, stage_id, status FROM reject_candidate(%s, %s, %s, %s)",
                   [candidate_id, job_id, v.get("reason"), v.get("reason_code")])[0]
        return Response(row)


class RejectionReasons(ActorMixin, APIView):
    def get(self, request):
        rows = call("SELECT code, label, kind, active FROM rejection_reason ORDER BY kind, code", [])
        return paginated(self, request, rows)


class Funnel(ActorMixin, APIView):
    def get(self, request, job_id):
        rows = call("SELECT * FROM pipeline_funnel(%s)", [job_id])
        for row in rows:
            for key in ("median_time_in_stage", "p90_time_in_stage"):
                value = row.pop(key)
                row[key + "_seconds"] = value.total_seconds() if value is not None else None
            if row["conversion"] is not None:
                row["conversion"] = float(row["conversion"])
        return Response({"results": rows})


class History(ActorMixin, APIView):
    def get(self, request, job_id, candidate_id):
        job_workflow(job_id)
        rows = call("SELECT id, job_id, candidate_id, workflow_id, from_stage_id, to_stage_id, from_status, "
                    "to_status, actor, reason, reason_code, related_job_id, moved_at, alerts_raised, warnings "
                    "FROM stage_transition WHERE job_id = %s AND candidate_id = %s ORDER BY id",
                    [job_id, candidate_id], json_columns=["warnings"])
        return paginated(self, request, rows)


urlpatterns = [
    path("jobs/", Jobs.as_view()),
    path("jobs/<int:job_id>/", Job.as_view()),
    path("jobs/<int:job_id>/pipeline/", Pipeline.as_view()),
    path("jobs/<int:job_id>/candidates/<int:candidate_id>/move/", Move.as_view()),
    path("jobs/<int:job_id>/move/", BulkMove.as_view()),
    path("jobs/<int:job_id>/candidates/<int:candidate_id>/reject/", Reject.as_view()),
    path("jobs/<int:job_id>/funnel/", Funnel.as_view()),
    path("jobs/<int:job_id>/candidates/<int:candidate_id>/history/", History.as_view()),
    path("rejection-reasons/", RejectionReasons.as_view()),
]
