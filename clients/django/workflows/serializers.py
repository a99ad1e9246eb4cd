"""Serializers: shapes of the API's JSON.  They check types only; every rule
about what is allowed (conditions, alert leaves, visibility, edit rights,
moves) is the extension's, reported through workflows/errors.py.  Foreign
keys are plain ids, so a workflow the user cannot see is refused by the
database's row-level security, not guessed at here."""
import datetime
import re

from rest_framework import serializers

from .ids import BigIdField
from .models import (Alert, AlertEvent, CandidateStage, RejectionReason, StageRule,
                     StageTransition, StageWithRules, Workflow, WorkflowStage,
                     WorkflowWithStages)


class StrictMixin:
    """A field the serializer does not know is a 400, not silently ignored
    (read-only fields a client sends back from a GET are ignored)."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            known = set(self.fields)
            unknown = sorted(k for k in data.keys()
                             if k not in known and k != "csrfmiddlewaretoken")
            if unknown:
                raise serializers.ValidationError(
                    {name: ["unknown field"] for name in unknown})
        return super().to_internal_value(data)


class Strict(StrictMixin, serializers.Serializer):
    pass


class StrictModel(StrictMixin, serializers.ModelSerializer):
    pass


class WorkflowSerializer(StrictModel):
    class Meta:
        model = Workflow
        fields = ["id", "name", "description", "owner", "created_at", "updated_at",
                  "archived_at", "requires_reason_code"]
        read_only_fields = ["owner", "created_at", "updated_at", "archived_at"]
        # Names are the table's CHECK to judge (400 with the constraint), not DRF's.
        extra_kwargs = {"name": {"allow_blank": True, "trim_whitespace": False}}


class WorkflowWithStagesSerializer(StrictModel):
    class Meta:
        model = WorkflowWithStages
        fields = ["id", "name", "description", "owner", "created_at", "updated_at", "archived_at",
                  "stages"]


class StageSerializer(StrictModel):
    workflow_id = BigIdField()

    class Meta:
        model = WorkflowStage
        fields = ["id", "workflow_id", "name", "position", "kind", "config", "sla"]


class StageWithRulesSerializer(StrictModel):
    class Meta:
        model = StageWithRules
        fields = ["id", "workflow_id", "name", "position", "kind", "config", "sla", "archived_at",
                  "rule_id", "rule_name", "condition", "on_fail", "alerts"]


class AlertSerializer(StrictModel):
    stage_id = BigIdField()
    value = serializers.JSONField(required=False, allow_null=True)

    class Meta:
        model = Alert
        fields = ["id", "stage_id", "rule_id", "rule_path", "field_name", "operator", "value",
                  "ignore_case", "fires_on", "message", "severity", "source"]
        read_only_fields = ["rule_id", "rule_path"]
        # Required here; whether they are good is the extension's to judge (22023).
        extra_kwargs = {"field_name": {"required": True, "allow_blank": True, "trim_whitespace": False},
                        "operator": {"required": True, "allow_blank": True, "trim_whitespace": False}}


class RuleSerializer(StrictModel):
    """A stage's rule, with the alerts the extension generated from its leaves."""
    stage_id = BigIdField()
    alerts = serializers.SerializerMethodField()

    class Meta:
        model = StageRule
        fields = ["id", "stage_id", "name", "condition", "on_fail", "created_at", "updated_at",
                  "alerts"]
        read_only_fields = ["created_at", "updated_at"]

    def get_alerts(self, rule):
        return AlertSerializer(Alert.objects.filter(rule_id=rule.id).order_by("id"), many=True).data


class CandidateStageSerializer(StrictModel):
    """A pipeline row.  Writing stage_id is a move (checked by the extension);
    transition_id, when sent, is the optimistic lock (stale: 409); attributes
    are the application's facts (this candidate in this job), read by leaves
    with "source": "application".  tenant is the extension's (read only)."""
    job_id = BigIdField()
    candidate_id = BigIdField()
    workflow_id = BigIdField(read_only=True)
    stage_id = BigIdField(required=False)
    transition_id = BigIdField(required=False, allow_null=True)

    class Meta:
        model = CandidateStage
        fields = ["id", "tenant", "job_id", "candidate_id", "workflow_id", "stage_id", "status",
                  "entered_at", "transition_id", "visit_transition_id", "attributes"]
        read_only_fields = ["tenant", "entered_at", "visit_transition_id"]


class MoveSerializer(Strict):
    candidate_id = BigIdField()
    job_id = BigIdField()
    expected_stage_id = BigIdField(required=False, allow_null=True)


class AssignSerializer(Strict):
    job_id = BigIdField()


class ShareSerializer(Strict):
    """A share with a user of the application, named by username (or, in the
    seed's workflows/<id>/share/, by user_id)."""
    user_id = BigIdField(required=False)
    username = serializers.CharField(required=False, max_length=150)
    can_edit = serializers.BooleanField(default=False)

    def validate(self, data):
        from django.contrib.auth.models import User
        if ("user_id" in data) == ("username" in data):
            raise serializers.ValidationError("give username (or user_id), not both")
        users = User.objects.filter(**({"pk": data["user_id"]} if "user_id" in data
                                       else {"username": data["username"]}))
        user = users.first()
        if user is None:
            raise serializers.ValidationError({"username" if "username" in data else "user_id":
                                               ["no such user"]}, code="unknown_user")
        data["user"] = user
        return data


class WorkflowShareSerializer(serializers.Serializer):
    """A share as listed: workflow_share, its grantee as a username."""
    id = serializers.IntegerField()
    workflow_id = serializers.IntegerField()
    username = serializers.CharField(allow_null=True)
    grantee = serializers.CharField(allow_null=True)
    grantee_tenant = serializers.CharField()
    can_edit = serializers.BooleanField()
    accepted = serializers.BooleanField()
    declined = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class EmptySerializer(Strict):
    """A POST that takes no body: any field is unknown (400)."""


class JobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    workflow_id = serializers.IntegerField()
    workflow_name = serializers.CharField()
    tenant = serializers.CharField()
    assigned_at = serializers.DateTimeField()
    assigned_by = serializers.CharField()
    candidates = serializers.IntegerField()


class CloneSerializer(Strict):
    name = serializers.CharField(max_length=200, trim_whitespace=False)


class ReorderSerializer(Strict):
    stage_ids = serializers.ListField(child=BigIdField(), max_length=10000)


class CandidateSerializer(Strict):
    candidate_id = BigIdField()


class MoveOneSerializer(Strict):
    to_stage_id = BigIdField(required=False, allow_null=True)
    expected_stage_id = BigIdField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)


class BulkMoveSerializer(Strict):
    candidate_ids = serializers.ListField(child=BigIdField(), min_length=1, max_length=10000)
    to_stage_id = BigIdField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)


class StatusSerializer(Strict):
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)
    reason_code = serializers.CharField(required=False, allow_null=True, max_length=64)


class ReopenSerializer(Strict):
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)


class TransferSerializer(Strict):
    to_job_id = BigIdField()
    to_stage_id = BigIdField(required=False, allow_null=True)
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)


class RemoveSerializer(Strict):
    reason = serializers.CharField(required=False, allow_null=True, max_length=1000)


class ObjectField(serializers.DictField):
    """A JSON object, never read from a form: DRF's DictField reads a form (or
    an empty body with a form's content type) without "<name>.<key>" fields
    as {}, which would replace the facts with nothing; here a missing field is
    missing (400 required)."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


class FactsSerializer(Strict):
    attributes = ObjectField()


class DateOrDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime, or a plain date YYYY-MM-DD meaning its midnight
    UTC (the SQL example's '2030-01-01')."""

    def to_internal_value(self, value):
        if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            try:
                day = datetime.date.fromisoformat(value)
            except ValueError:
                self.fail("invalid", format="YYYY-MM-DD or an ISO 8601 datetime")
            return datetime.datetime(day.year, day.month, day.day, tzinfo=datetime.timezone.utc)
        return super().to_internal_value(value)


class FunnelQuerySerializer(Strict):
    since = DateOrDateTimeField(required=False)
    until = DateOrDateTimeField(required=False)
    # names which job: a job id two tenants sharing their workflows with the caller both use
    workflow = BigIdField(required=False)


class EventsQuerySerializer(Strict):
    cursor = serializers.RegexField(r"^[0-9]{1,19}:[0-9]{1,19}:[0-9]{1,19}$", required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=1000)

    def validate_cursor(self, value):
        if any(int(part) > 2 ** 63 - 1 for part in value.split(":")):
            raise serializers.ValidationError("a cursor's parts are bigints")
        return value


class CardSerializer(serializers.Serializer):
    """A card of the board: a candidate in a job."""
    candidate_id = serializers.IntegerField()
    job_id = serializers.IntegerField()
    stage_id = serializers.IntegerField()
    status = serializers.CharField()
    entered_stage_at = serializers.DateTimeField(source="entered_at")
    time_in_stage_seconds = serializers.SerializerMethodField()
    open_alerts = serializers.IntegerField()
    transition_id = serializers.IntegerField(allow_null=True)
    attributes = serializers.DictField()

    def get_time_in_stage_seconds(self, row) -> int:
        from django.utils import timezone
        return max(0, int((timezone.now() - row.entered_at).total_seconds()))


class TransitionSerializer(serializers.ModelSerializer):
    class Meta:
        model = StageTransition
        fields = ["id", "job_id", "candidate_id", "workflow_id", "from_stage_id", "to_stage_id",
                  "from_status", "to_status", "actor", "reason", "reason_code", "related_job_id",
                  "moved_at", "alerts_raised", "warnings"]


class AlertEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AlertEvent
        fields = ["id", "alert_id", "job_id", "candidate_id", "workflow_id", "stage_id",
                  "transition_id", "cause", "severity", "message", "raised_at", "facts",
                  "acknowledged_at", "acknowledged_by"]


class RejectionReasonSerializer(StrictModel):
    class Meta:
        model = RejectionReason
        fields = ["id", "code", "label", "kind", "active", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {"label": {"allow_blank": True, "trim_whitespace": False},
                        "code": {"allow_blank": True, "trim_whitespace": False}}
