"""Routes: the REST API's three endpoints, the viewsets, and the pipeline's
resources (README: REST API lists them all with their codes).  Ids in paths
are <id:...>: digits (anything else is no route, 404), checked to bigint in
the view (400 invalid_id)."""
from django.urls import path, register_converter
from rest_framework.routers import DefaultRouter

from . import jobs, views
from .ids import IdConverter

register_converter(IdConverter, "id")


class Router(DefaultRouter):
    include_format_suffixes = False     # ?format=api / ?format=json instead


router = Router()
router.lookup_value_regex = IdConverter.regex
router.register("workflows", views.WorkFlowViewSet, basename="workflow")
router.register("stages", views.WorkFlowStageViewSet, basename="stage")
router.register("rules", views.StageRulesViewSet, basename="rule")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("pipeline", views.CandidateStageViewSet, basename="pipeline")
router.register("rejection-reasons", views.RejectionReasonViewSet, basename="rejection-reason")

J = "jobs/<id:job_id>/"
C = J + "candidates/<id:candidate_id>/"

urlpatterns = [
    path("stage/<id:stage_id>/rule/", views.StageRuleView.as_view(), name="stage-rule"),
    path("stage/<id:stage_id>/alert/", views.StageAlertsView.as_view(), name="stage-alerts"),
    path("move-to-nextstage/", views.MoveToNextStageView.as_view(), name="move-to-nextstage"),
    path("workflows/<id:workflow_id>/shares/", views.WorkflowSharesView.as_view(), name="workflow-shares"),
    path("workflows/<id:workflow_id>/shares/<id:share_id>/", views.WorkflowShareView.as_view(),
         name="workflow-share-detail"),
    path("jobs/", jobs.JobList.as_view(), name="jobs"),
    path(J, jobs.JobDetail.as_view(), name="job"),
    path(J + "pipeline/", jobs.JobPipeline.as_view(), name="job-pipeline"),
    path(J + "move/", jobs.BulkMove.as_view(), name="job-bulk-move"),
    path(J + "funnel/", jobs.JobFunnel.as_view(), name="job-funnel"),
    path(J + "history/", jobs.JobHistory.as_view(), name="job-history"),
    path(J + "facts/", jobs.JobFacts.as_view(), name="job-facts"),
    path(J + "candidates/", jobs.JobCandidates.as_view(), name="job-candidates"),
    path(C, jobs.JobCandidate.as_view(), name="job-candidate"),
    path(C + "move/", jobs.MoveCandidate.as_view(), name="job-candidate-move"),
    path(C + "reject/", jobs.Reject.as_view(), name="job-candidate-reject"),
    path(C + "withdraw/", jobs.Withdraw.as_view(), name="job-candidate-withdraw"),
    path(C + "reopen/", jobs.Reopen.as_view(), name="job-candidate-reopen"),
    path(C + "transfer/", jobs.Transfer.as_view(), name="job-candidate-transfer"),
    path(C + "history/", jobs.CandidateHistory.as_view(), name="job-candidate-history"),
    path(C + "facts/", jobs.ApplicationFacts.as_view(), name="job-candidate-facts"),
    path("candidates/<id:candidate_id>/facts/", jobs.CandidateFacts.as_view(), name="candidate-facts"),
    path("alert-events/", jobs.AlertEventList.as_view(), name="alert-events"),
    path("alert-events/<id:pk>/", jobs.AlertEventDetail.as_view(), name="alert-event"),
    path("alert-events/<id:alert_event_id>/acknowledge/", jobs.AcknowledgeAlert.as_view(),
         name="alert-event-acknowledge"),
    path("events/", jobs.EventFeed.as_view(), name="events"),
] + router.urls
