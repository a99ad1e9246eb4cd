"""The extension's tables and views as unmanaged models (managed = False):
Django never creates, alters or flushes them; workflow_ext owns the schema,
its triggers and its row-level security.  Columns the extension fills
(owner, timestamps, the pipeline's transition ids) are written only when the
application means to; inserts go through insert_returning() so the database
defaults apply.  Relations are DO_NOTHING: cascades are the database's.

Every table carries the tenant (the organization, workflow_ext.tenant, else
the actor itself) that the extension stamps on insert and never lets change:
it is mapped as a StampedField, read (and returned by an INSERT) but never
written by the ORM, so a model's full-row save() writes back only the
columns the application may change.  Application and job ids are unique
within a tenant, so the models' unique keys lead with it."""
from django.db import models

from . import shards


class StampedField(models.TextField):
    """A column the extension stamps and never lets change (tenant,
    candidate_stage.added_by): read, returned by INSERT ... RETURNING, left
    out of every INSERT and UPDATE the ORM writes (ExtensionModel)."""
    db_returning = True
    read_only = True

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)


class ExtensionModel(models.Model):
    """One of the extension's tables: StampedFields are never written, so a
    save() (an ORM's full-row write) sends only what the application owns."""

    class Meta:
        abstract = True

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        values = [v for v in values if not getattr(v[0], "read_only", False)]
        return super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)

    def _do_insert(self, manager, using, fields, returning_fields, raw):
        fields = [f for f in fields if not getattr(f, "read_only", False)]
        return super()._do_insert(manager, using, fields, returning_fields, raw)


class Workflow(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    name = models.TextField()
    description = models.TextField(blank=True, default="")
    owner = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    archived_at = models.DateTimeField(null=True, blank=True)
    requires_reason_code = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "workflow"


class WorkflowShare(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    workflow = models.ForeignKey(Workflow, models.DO_NOTHING, related_name="shares")
    grantee_tenant = models.TextField()
    grantee = models.TextField(null=True)        # NULL: every actor of grantee_tenant
    can_edit = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True)
    declined_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "workflow_share"


class WorkflowStage(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    workflow = models.ForeignKey(Workflow, models.DO_NOTHING, related_name="stages")
    name = models.TextField()
    position = models.IntegerField()
    kind = models.TextField(default="normal")
    config = models.JSONField(default=dict)
    sla = models.DurationField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)
    auto_advance = models.BooleanField(default=False)

    class Meta:
        managed = False
        db_table = "workflow_stage"


class StageRule(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    stage = models.OneToOneField(WorkflowStage, models.DO_NOTHING, related_name="rule")
    name = models.TextField()
    condition = models.JSONField()
    on_fail = models.TextField(default="block")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "stage_rule"


class Alert(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    stage = models.ForeignKey(WorkflowStage, models.DO_NOTHING, related_name="alerts")
    rule_id = models.BigIntegerField(null=True)
    rule_path = models.TextField(null=True)
    field_name = models.TextField()
    operator = models.TextField()
    value = models.JSONField(null=True)
    ignore_case = models.BooleanField(default=False)
    fires_on = models.TextField(default="match")
    message = models.TextField(default="")
    severity = models.TextField(default="warning")
    source = models.TextField(default="candidate")   # whose facts: candidate, application, job

    class Meta:
        managed = False
        db_table = "alert"


class JobWorkflow(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    job_id = models.BigIntegerField()
    workflow = models.ForeignKey(Workflow, models.DO_NOTHING, related_name="jobs")
    assigned_at = models.DateTimeField()
    assigned_by = models.TextField()

    class Meta:
        managed = False
        db_table = "job_workflow"
        unique_together = [("tenant", "job_id")]


class CandidateProfile(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    candidate_id = models.BigIntegerField()
    attributes = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "candidate_profile"
        unique_together = [("tenant", "candidate_id")]


class JobProfile(ExtensionModel):
    """A job's facts (leaves with "source": "job"), one per job of a tenant."""
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    job_id = models.BigIntegerField()
    attributes = models.JSONField(default=dict)
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "job_profile"
        unique_together = [("tenant", "job_id")]


class CandidateStage(ExtensionModel):
    """Where a candidate stands.  save() and update() of stage_id are moves,
    checked by the extension's triggers exactly like move_to_next_stage();
    transition_id is the optimistic lock (an older value: 40001)."""
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    job_id = models.BigIntegerField()
    candidate_id = models.BigIntegerField()
    workflow = models.ForeignKey(Workflow, models.DO_NOTHING, related_name="+")
    stage = models.ForeignKey(WorkflowStage, models.DO_NOTHING, related_name="+")
    status = models.TextField(default="active")
    entered_at = models.DateTimeField()
    transition_id = models.BigIntegerField(null=True)
    visit_transition_id = models.BigIntegerField(null=True)
    added_by = StampedField()
    attributes = models.JSONField(default=dict)     # the application's facts ("source": "application")

    class Meta:
        managed = False
        db_table = "candidate_stage"
        unique_together = [("tenant", "job_id", "candidate_id")]


class StageTransition(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    job_id = models.BigIntegerField()
    candidate_id = models.BigIntegerField()
    workflow_id = models.BigIntegerField()
    from_stage_id = models.BigIntegerField(null=True)
    to_stage_id = models.BigIntegerField()
    from_status = models.TextField(null=True)
    to_status = models.TextField()
    actor = models.TextField()
    reason = models.TextField(null=True)
    reason_code = models.TextField(null=True)
    related_job_id = models.BigIntegerField(null=True)
    moved_at = models.DateTimeField()
    alerts_raised = models.IntegerField()
    warnings = models.JSONField()

    class Meta:
        managed = False
        db_table = "stage_transition"


class AlertEvent(ExtensionModel):
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    alert_id = models.BigIntegerField(null=True)
    job_id = models.BigIntegerField()
    candidate_id = models.BigIntegerField()
    workflow_id = models.BigIntegerField()
    stage_id = models.BigIntegerField()
    transition_id = models.BigIntegerField()
    cause = models.TextField()
    severity = models.TextField()
    message = models.TextField()
    raised_at = models.DateTimeField()
    facts = models.JSONField()
    acknowledged_at = models.DateTimeField(null=True)
    acknowledged_by = models.TextField(null=True)

    class Meta:
        managed = False
        db_table = "alert_event"


class RejectionReason(ExtensionModel):
    """A code of the tenant's catalogue of rejection and withdrawal reasons."""
    id = models.BigAutoField(primary_key=True)
    tenant = StampedField()
    code = models.TextField()
    label = models.TextField()
    kind = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "rejection_reason"
        unique_together = [("tenant", "kind", "code")]


class Membership(models.Model):
    """The application's own user -> organization mapping (a table of the
    application, in its schema "app", made by Django's migrations): the tenant
    a user acts in is 'org:<organization>', and is_admin makes the user an
    administrator of it (workflow_ext.tenant_admin).  A user without one is a
    tenant of its own (workflow_ext.tenant unset)."""
    user = models.OneToOneField("auth.User", models.CASCADE, related_name="membership")
    organization = models.CharField(max_length=200)
    is_admin = models.BooleanField(default=False)

    class Meta:
        db_table = "workflows_membership"


class WorkflowWithStages(models.Model):
    """The view workflow_with_stages: a workflow with its stages in order."""
    id = models.BigIntegerField(primary_key=True)
    name = models.TextField()
    description = models.TextField()
    owner = models.TextField()
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    stages = models.JSONField()
    tenant = models.TextField()
    archived_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "workflow_with_stages"


class StageWithRules(models.Model):
    """The view stage_with_rules: a stage with its rule and its alerts."""
    id = models.BigIntegerField(primary_key=True)
    workflow_id = models.BigIntegerField()
    name = models.TextField()
    position = models.IntegerField()
    kind = models.TextField()
    config = models.JSONField()
    sla = models.DurationField(null=True)
    rule_id = models.BigIntegerField(null=True)
    rule_name = models.TextField(null=True)
    condition = models.JSONField(null=True)
    on_fail = models.TextField(null=True)
    alerts = models.JSONField()
    archived_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = "stage_with_rules"


def insert_returning(model, values):
    """INSERT only the columns given, so the extension's defaults and triggers
    fill the rest (owner, timestamps, generated alerts), and return the row
    the database stored as a model instance."""
    table = model._meta.db_table
    fields = [model._meta.get_field(name) for name in values]
    columns = ", ".join('"%s"' % f.column for f in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    params = [f.get_db_prep_save(values[name], shards.connection())
              for f, name in zip(fields, values)]
    sql = 'INSERT INTO "%s" (%s) VALUES (%s) RETURNING *' % (table, columns, placeholders)
    return list(model.objects.raw(sql, params))[0]
