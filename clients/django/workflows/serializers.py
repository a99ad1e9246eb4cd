"""Serializers: shapes of the API's JSON.  They check types only; every rule
about what is allowed (conditions, alert leaves, visibility, edit rights,
moves) is the extension's, reported through workflows/errors.py.  Foreign
keys are plain ids, so a workflow the user cannot see is refused by the
database's row-level security, not guessed at here."""
from rest_framework import serializers

from .models import (Alert, CandidateStage, StageRule, StageWithRules, Workflow,
                     WorkflowStage, WorkflowWithStages)


class WorkflowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Workflow
        fields = ["id", "name", "description", "owner", "created_at", "updated_at"]
        read_only_fields = ["owner", "created_at", "updated_at"]
        # Names are the table's CHECK to judge (400 with the constraint), not DRF's.
        extra_kwargs = {"name": {"allow_blank": True, "trim_whitespace": False}}


class WorkflowWithStagesSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkflowWithStages
        fields = ["id", "name", "description", "owner", "created_at", "updated_at", "stages"]


class StageSerializer(serializers.ModelSerializer):
    workflow_id = serializers.IntegerField()

    class Meta:
        model = WorkflowStage
        fields = ["id", "workflow_id", "name", "position", "kind", "config", "sla"]


class StageWithRulesSerializer(serializers.ModelSerializer):
    class Meta:
        model = StageWithRules
        fields = ["id", "workflow_id", "name", "position", "kind", "config", "sla",
                  "rule_id", "rule_name", "condition", "on_fail", "alerts"]


class AlertSerializer(serializers.ModelSerializer):
    stage_id = serializers.IntegerField()
    value = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = Alert
        fields = ["id", "stage_id", "rule_id", "rule_path", "field_name", "operator", "value",
                  "ignore_case", "fires_on", "message", "severity", "source"]
        read_only_fields = ["rule_id", "rule_path"]
        # Required here; whether they are good is the extension's to judge (22023).
        extra_kwargs = {"field_name": {"required": True, "allow_blank": True, "trim_whitespace": False},
                        "operator": {"required": True, "allow_blank": True, "trim_whitespace": False}}


class RuleSerializer(serializers.ModelSerializer):
    """A stage's rule, with the alerts the extension generated from its leaves."""
    stage_id = serializers.IntegerField()
    alerts = serializers.SerializerMethodField()

    class Meta:
        model = StageRule
        fields = ["id", "stage_id", "name", "condition", "on_fail", "created_at", "updated_at",
                  "alerts"]
        read_only_fields = ["created_at", "updated_at"]

    def get_alerts(self, rule):
        return AlertSerializer(Alert.objects.filter(rule_id=rule.id).order_by("id"), many=True).data


class CandidateStageSerializer(serializers.ModelSerializer):
    """A pipeline row.  Writing stage_id is a move (checked by the extension);
    transition_id, when sent, is the optimistic lock (stale: 409); attributes
    are the application's facts (this candidate in this job), read by leaves
    with "source": "application".  tenant is the extension's (read only)."""
    job_id = serializers.IntegerField()
    candidate_id = serializers.IntegerField()
    workflow_id = serializers.IntegerField(read_only=True)
    stage_id = serializers.IntegerField(required=False)
    transition_id = serializers.IntegerField(required=False, allow_null=True)

    class Meta:
        model = CandidateStage
        fields = ["id", "tenant", "job_id", "candidate_id", "workflow_id", "stage_id", "status",
                  "entered_at", "transition_id", "visit_transition_id", "attributes"]
        read_only_fields = ["tenant", "entered_at", "visit_transition_id"]


class MoveSerializer(serializers.Serializer):
    candidate_id = serializers.IntegerField()
    job_id = serializers.IntegerField()
    expected_stage_id = serializers.IntegerField(required=False, allow_null=True)


class AssignSerializer(serializers.Serializer):
    job_id = serializers.IntegerField()


class ShareSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    can_edit = serializers.BooleanField(default=False)
