"""Routes: the REST API's three endpoints, and the viewsets."""
from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("workflows", views.WorkFlowViewSet, basename="workflow")
router.register("stages", views.WorkFlowStageViewSet, basename="stage")
router.register("rules", views.StageRulesViewSet, basename="rule")
router.register("alerts", views.AlertViewSet, basename="alert")
router.register("pipeline", views.CandidateStageViewSet, basename="pipeline")

urlpatterns = [
    path("stage/<int:stage_id>/rule/", views.StageRuleView.as_view(), name="stage-rule"),
    path("stage/<int:stage_id>/alert/", views.StageAlertsView.as_view(), name="stage-alerts"),
    path("move-to-nextstage/", views.MoveToNextStageView.as_view(), name="move-to-nextstage"),
] + router.urls
