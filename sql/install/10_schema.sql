-- Tables of the data model (README: Tables).  Every table has a single
-- bigint id; tables that grow with candidates carry candidate_id in their keys.
-- Every row belongs to a tenant (an organization), stamped at insert from
-- workflow_ext.tenant and never changed (stamp_tenant()); the tenant leads
-- every unique key that holds the application's ids (jobs, candidates), so
-- ids are the application's within a tenant.

CREATE TABLE workflow (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    description text NOT NULL DEFAULT '',
    owner       text NOT NULL DEFAULT @extschema@.current_actor() CHECK (owner <> ''),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    requires_reason_code boolean NOT NULL DEFAULT false
);
CREATE INDEX workflow_tenant_owner_idx ON workflow (tenant, owner);
COMMENT ON INDEX workflow_tenant_owner_idx IS 'An owner''s workflows within a tenant (what the visibility check reads for the owner).';
COMMENT ON TABLE workflow IS 'A reusable hiring process: ordered stages, each with an optional rule and alerts. Visible to its owner, the administrators of its tenant (workflow_ext.tenant_admin) and the grantees of its accepted shares.';
COMMENT ON COLUMN workflow.owner IS 'The actor who created the workflow (workflow_ext.actor, or role:<oid>); the owner and the tenant''s administrators share it, delete it and transfer it (transfer_workflow_ownership).';
COMMENT ON COLUMN workflow.tenant IS 'The organization the workflow belongs to: workflow_ext.tenant (else the actor) when it was created; never changed.';
COMMENT ON COLUMN workflow.archived_at IS 'When the workflow was retired: no new entrants, history kept. NULL while in use.';
COMMENT ON COLUMN workflow.requires_reason_code IS 'When true, rejecting or withdrawing a candidate in the workflow''s pipelines needs a reason_code of the tenant''s rejection_reason catalogue (22023 reason_code_required otherwise).';

CREATE TABLE workflow_share (
    id             bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    workflow_id    bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    grantee_tenant text NOT NULL CHECK (grantee_tenant <> ''),
    grantee        text CHECK (grantee <> ''),
    can_edit       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    accepted_at    timestamptz,
    declined_at    timestamptz,
    CONSTRAINT workflow_share_workflow_grantee_key
        UNIQUE NULLS NOT DISTINCT (workflow_id, grantee_tenant, grantee),
    CONSTRAINT workflow_share_answer_check CHECK (accepted_at IS NULL OR declined_at IS NULL)
);
-- (the sharing tenant third: a check of one tenant's offers to a grantee
-- never walks the grantee's offers from every other tenant, whatever plan)
CREATE INDEX workflow_share_grantee_idx ON workflow_share (grantee_tenant, grantee, tenant);
COMMENT ON INDEX workflow_share_grantee_idx IS 'The shares by grantee, then sharing tenant: a check of one tenant''s offers to a grantee reads only those.';
-- What the visibility functions read: accepted shares only, so that offers
-- nobody accepted cost the grantee nothing (the grantee decides its size).
CREATE INDEX workflow_share_accepted_idx ON workflow_share (grantee_tenant, grantee, workflow_id)
    INCLUDE (can_edit) WHERE accepted_at IS NOT NULL;
-- The pending offers, per grantee and sharing tenant (the flood limit, pending_shares()).
CREATE INDEX workflow_share_offer_idx ON workflow_share (grantee_tenant, grantee, tenant)
    WHERE accepted_at IS NULL AND declined_at IS NULL;
COMMENT ON TABLE workflow_share IS 'A workflow shared with an actor, or with every actor of a tenant; can_edit lets the grantees change its definition. A share across tenants is an offer until the grantee accepts it (accept_share); within the workflow''s tenant it is accepted when made.';
COMMENT ON COLUMN workflow_share.tenant IS 'The tenant of the shared workflow (stamped).';
COMMENT ON COLUMN workflow_share.grantee_tenant IS 'The tenant the grantees act for: the workflow''s own, or another organization''s (an agency).';
COMMENT ON COLUMN workflow_share.grantee IS 'The actor the workflow is shared with, as workflow_ext.actor names it; NULL: every actor of grantee_tenant.';
COMMENT ON COLUMN workflow_share.can_edit IS 'When true the grantee may edit stages, rules and alerts; otherwise read and move candidates only.';
COMMENT ON COLUMN workflow_share.accepted_at IS 'When the grantee accepted the share (stamped; for a share within the workflow''s tenant, when it was made). NULL: an offer, or declined; either gives nothing.';
COMMENT ON COLUMN workflow_share.declined_at IS 'When the grantee declined the offer or left the share (stamped); a declined share stays declined when shared again, until the grantee accepts it.';
COMMENT ON INDEX workflow_share_accepted_idx IS 'The accepted shares by grantee: all the visibility functions read of workflow_share.';
COMMENT ON INDEX workflow_share_offer_idx IS 'The pending offers by grantee and sharing tenant (pending_shares(), the limit on offers).';

CREATE TABLE workflow_stage (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    workflow_id bigint NOT NULL REFERENCES workflow (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    position    integer NOT NULL CHECK (position >= 1),
    kind        text NOT NULL DEFAULT 'normal' CHECK (kind IN ('normal', 'hired')),
    config      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(config) = 'object'),
    sla         interval CHECK (sla > interval '0'),
    archived_at timestamptz,
    auto_advance boolean NOT NULL DEFAULT false,
    on_enter    jsonb,
    CONSTRAINT workflow_stage_position_key UNIQUE (workflow_id, position) DEFERRABLE INITIALLY IMMEDIATE,
    CONSTRAINT workflow_stage_workflow_id_id_key UNIQUE (workflow_id, id)
);
COMMENT ON TABLE workflow_stage IS 'One ordered stage of a workflow. The next stage is the one with the next higher position.';
COMMENT ON COLUMN workflow_stage.position IS 'Order within the workflow, from 1; unique per workflow (deferrable, so reorder_stages can permute).';
COMMENT ON COLUMN workflow_stage.tenant IS 'The tenant of the stage''s workflow (stamped), even when a grantee of another tenant adds it.';
COMMENT ON COLUMN workflow_stage.kind IS '''hired'': entering this stage sets the candidate''s status to hired.';
COMMENT ON COLUMN workflow_stage.config IS 'Free-form stage configuration for the application (a JSON object).';
COMMENT ON COLUMN workflow_stage.archived_at IS 'When the stage was retired: no new entrants, history kept. NULL while in use.';
COMMENT ON COLUMN workflow_stage.auto_advance IS 'When true, an active candidate standing in this stage moves on by itself to the next stage as soon as that stage''s rule holds (on entry, and when the candidate''s, the application''s or the job''s facts change); recorded with the actor whose change caused it and reason auto_advance. A next stage without a rule, or archived, is never entered by itself.';
COMMENT ON COLUMN workflow_stage.on_enter IS 'Declarative actions for the application on every entry into this stage (a JSON object, at most 64 KB, e.g. {"email_template": "phone-screen-invite"}), delivered as stage_action events by workflow_events_since(); NULL for none. 22023 (invalid_on_enter) otherwise.';
COMMENT ON COLUMN workflow_stage.sla IS 'Time a candidate may stay in this stage before raise_overdue_alerts() raises an event; NULL for none.';

CREATE TABLE stage_rule (
    id         bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    stage_id   bigint NOT NULL UNIQUE REFERENCES workflow_stage (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (btrim(name) <> ''),
    condition  jsonb NOT NULL,
    on_fail    text NOT NULL DEFAULT 'block' CHECK (on_fail IN ('block', 'warn')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stage_rule_id_stage_id_key UNIQUE (id, stage_id)
);
COMMENT ON TABLE stage_rule IS 'The validation rule of a stage (at most one), checked against a candidate''s facts on every move into the stage.';
COMMENT ON COLUMN stage_rule.condition IS 'A condition tree (README: condition language), validated on write: 22023 with the JSON path when malformed.';
COMMENT ON COLUMN stage_rule.on_fail IS '''block'': a failing move is refused with 23514; ''warn'': the move happens and the rule''s mismatch alerts fire.';
COMMENT ON COLUMN stage_rule.tenant IS 'The tenant of the rule''s workflow (stamped).';

CREATE TABLE alert (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    stage_id    bigint NOT NULL REFERENCES workflow_stage (id) ON DELETE CASCADE,
    rule_id     bigint,
    rule_path   text,
    field_name  text NOT NULL,
    operator    text NOT NULL,
    value       jsonb,
    ignore_case boolean NOT NULL DEFAULT false,
    fires_on    text NOT NULL DEFAULT 'match' CHECK (fires_on IN ('match', 'mismatch')),
    message     text NOT NULL DEFAULT '',
    severity    text NOT NULL DEFAULT 'warning' CHECK (severity IN ('info', 'warning', 'critical')),
    source      text NOT NULL DEFAULT 'candidate' CHECK (source IN ('candidate', 'application', 'job')),
    CONSTRAINT alert_rule_fk FOREIGN KEY (rule_id, stage_id)
        REFERENCES stage_rule (id, stage_id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT alert_rule_path_key UNIQUE (rule_id, rule_path),
    CONSTRAINT alert_rule_path_check CHECK ((rule_id IS NULL) = (rule_path IS NULL))
);
CREATE INDEX alert_stage_id_idx ON alert (stage_id);
COMMENT ON INDEX alert_stage_id_idx IS 'A stage''s alerts (evaluated on entry and on facts changes; get_stage_alerts; removed with the stage).';
COMMENT ON TABLE alert IS 'An alert on a stage: one condition leaf (field_name, operator, value). Evaluated when a candidate enters the stage and when their facts change; fires at most once per stage visit.';
COMMENT ON COLUMN alert.rule_id IS 'Set when the alert was generated from the stage''s rule (one per leaf); such alerts follow the rule''s edits.';
COMMENT ON COLUMN alert.rule_path IS 'JSON path of the generating leaf within the rule''s condition.';
COMMENT ON COLUMN alert.source IS 'Whose facts field_name reads: the candidate''s, the application''s (this candidate in this job) or the job''s.';
COMMENT ON COLUMN alert.operator IS 'A condition operator; aliases are stored in canonical form (>= becomes gte).';
COMMENT ON COLUMN alert.value IS 'The operand as JSON; NULL only for exists/not_exists.';
COMMENT ON COLUMN alert.fires_on IS '''match'': fires when the leaf is true; ''mismatch'': when it is false (rule-generated alerts).';
COMMENT ON COLUMN alert.tenant IS 'The tenant of the alert''s workflow (stamped).';

CREATE TABLE job_workflow (
    id          bigserial PRIMARY KEY,
    tenant      text NOT NULL DEFAULT @extschema@.current_tenant(),
    job_id      bigint NOT NULL,
    workflow_id bigint NOT NULL REFERENCES workflow (id),
    assigned_at timestamptz NOT NULL DEFAULT now(),
    assigned_by text NOT NULL DEFAULT @extschema@.current_actor(),
    CONSTRAINT job_workflow_job_id_key UNIQUE (tenant, job_id),
    CONSTRAINT job_workflow_job_workflow_key UNIQUE (tenant, job_id, workflow_id)
);
CREATE INDEX job_workflow_workflow_id_idx ON job_workflow (workflow_id);
COMMENT ON INDEX job_workflow_workflow_id_idx IS 'The jobs that follow a workflow (what the foreign key from job_workflow reads when a workflow is deleted).';
COMMENT ON TABLE job_workflow IS 'The workflow a job''s pipeline follows (one per job of a tenant). Jobs live in the application; only their ids are here, unique within the tenant.';
COMMENT ON COLUMN job_workflow.tenant IS 'The organization whose job this is (stamped: the tenant assigning it); job ids are unique within it.';
COMMENT ON COLUMN job_workflow.assigned_by IS 'The actor who (re)assigned the job (stamped by workflow_ext).';

CREATE TABLE candidate_profile (
    id           bigserial PRIMARY KEY,
    tenant       text NOT NULL DEFAULT @extschema@.current_tenant(),
    candidate_id bigint NOT NULL,
    attributes   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT candidate_profile_candidate_id_key UNIQUE (tenant, candidate_id)
);
COMMENT ON TABLE candidate_profile IS 'The default source of candidate facts: rules and alerts read attributes. One profile per candidate of a tenant, the same for every actor of the tenant. See set_candidate_source() for using your own table.';
COMMENT ON COLUMN candidate_profile.attributes IS 'The candidate''s facts as a JSON object; a change re-evaluates the alerts of the stages the candidate stands in.';
COMMENT ON COLUMN candidate_profile.tenant IS 'The organization whose candidate this is; every actor of it reads and writes the profile, no one else.';

CREATE TABLE job_profile (
    id         bigserial PRIMARY KEY,
    tenant     text NOT NULL DEFAULT @extschema@.current_tenant(),
    job_id     bigint NOT NULL,
    attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT job_profile_job_id_key UNIQUE (tenant, job_id)
);
COMMENT ON TABLE job_profile IS 'The source of job facts (budget, location, ...): leaves with "source": "job" read attributes. One per job of a tenant.';
COMMENT ON COLUMN job_profile.attributes IS 'The job''s facts as a JSON object; a change re-evaluates the alerts of the stages the job''s candidates stand in.';
COMMENT ON COLUMN job_profile.tenant IS 'The organization whose job this is; every actor of it reads and writes the profile, no one else.';

CREATE TABLE rejection_reason (
    id         bigserial PRIMARY KEY,
    tenant     text NOT NULL DEFAULT @extschema@.current_tenant(),
    code       text NOT NULL CHECK (code ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    label      text NOT NULL CHECK (btrim(label) <> '' AND length(label) <= 200),
    kind       text NOT NULL CHECK (kind IN ('rejected', 'withdrawn')),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rejection_reason_code_key UNIQUE (tenant, kind, code)
);
COMMENT ON TABLE rejection_reason IS 'The tenant''s catalogue of reason codes for rejections and withdrawals (reject_candidate, withdraw_candidate, or workflow_ext.reason_code for a plain UPDATE); stage_transition.reason_code records the code used.';
COMMENT ON COLUMN rejection_reason.tenant IS 'The organization whose catalogue this is (stamped); every actor of it reads and adds codes, no one else.';
COMMENT ON COLUMN rejection_reason.code IS 'The stable code clients pass (letters, digits, _ . : -; at most 64), unique per tenant and kind: the same code may name a rejection and a withdrawal.';
COMMENT ON COLUMN rejection_reason.label IS 'The human-readable text of the reason.';
COMMENT ON COLUMN rejection_reason.kind IS 'The status the code explains: ''rejected'' or ''withdrawn''.';
COMMENT ON COLUMN rejection_reason.active IS 'false: retired, no longer accepted (22023 unknown_reason_code); history keeps the code.';

CREATE TABLE stage_transition (
    id            bigserial PRIMARY KEY,
    tenant        text NOT NULL,
    job_id        bigint NOT NULL,
    candidate_id  bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    from_stage_id bigint,
    to_stage_id   bigint NOT NULL,
    from_status   text,
    to_status     text NOT NULL,
    actor         text NOT NULL,
    reason        text,
    moved_at      timestamptz NOT NULL DEFAULT now(),
    alerts_raised integer NOT NULL DEFAULT 0,
    warnings      jsonb NOT NULL DEFAULT '[]',
    xact_id       xid8 NOT NULL DEFAULT pg_current_xact_id(),
    reason_code   text,
    related_job_id bigint,
    on_enter      jsonb,
    -- History keeps its stages: a stage it names cannot be deleted (23503).
    CONSTRAINT stage_transition_from_stage_fk FOREIGN KEY (from_stage_id) REFERENCES workflow_stage (id),
    CONSTRAINT stage_transition_to_stage_fk FOREIGN KEY (to_stage_id) REFERENCES workflow_stage (id)
);
CREATE INDEX stage_transition_candidate_idx ON stage_transition (tenant, candidate_id, job_id, id);
COMMENT ON INDEX stage_transition_candidate_idx IS 'A candidate''s history within a tenant, job by job, in order.';
CREATE INDEX stage_transition_feed_idx ON stage_transition (xact_id, id);
COMMENT ON INDEX stage_transition_feed_idx IS 'History in commit order: the event feed (workflow_events_since) reads from its cursor on.';
COMMENT ON TABLE stage_transition IS 'History: one row per entry, move, status change, transfer (to_status transferred) and removal (to_status removed) of a candidate in a job, written by the candidate_stage triggers and never updated.';
-- Each candidate's history in a job, in order: the stage visits of a job
-- (stage_visit, pipeline_funnel) without reading the tenant's other jobs.
CREATE INDEX stage_transition_visit_idx ON stage_transition (tenant, job_id, candidate_id, workflow_id, id);
COMMENT ON INDEX stage_transition_visit_idx IS 'Each candidate''s history in a job and workflow, in order: the stage visits (stage_visit, pipeline_funnel, the history guard) without reading the tenant''s other jobs.';
COMMENT ON COLUMN stage_transition.tenant IS 'The tenant of the pipeline row (the job''s organization).';
COMMENT ON COLUMN stage_transition.actor IS 'The user who made the change (workflow_ext.actor, or role:<oid>).';
COMMENT ON COLUMN stage_transition.from_stage_id IS 'NULL when the candidate entered the pipeline; equal to to_stage_id for a status change.';
COMMENT ON COLUMN stage_transition.reason IS 'The reason given to the function, or workflow_ext.reason for a plain UPDATE; auto_advance for a move an auto_advance stage made by itself.';
COMMENT ON COLUMN stage_transition.xact_id IS 'The writing transaction''s feed position, stamped by the engine (feed_xact_id(): generation << 48 | pg_current_xact_id(), so that positions stay ordered across a restore into another cluster): orders the event feed by commit horizon (workflow_events_since).';
COMMENT ON COLUMN stage_transition.to_status IS 'The status after the change; ''transferred'' when transfer_candidate() took the candidate to related_job_id, ''removed'' when the pipeline row was deleted (remove_candidate() or a plain DELETE; to_stage_id is the stage it stood in).';
COMMENT ON COLUMN stage_transition.reason_code IS 'For a rejection or withdrawal: the code of the tenant''s rejection_reason catalogue given (reject_candidate(), withdraw_candidate() or workflow_ext.reason_code); NULL otherwise.';
COMMENT ON COLUMN stage_transition.related_job_id IS 'For a transfer: on the transferred row of the old job, the job the candidate went to; on the entry row of the new job, the job the candidate came from. NULL otherwise, and NULL on a row of a workflow shared across tenants when the other job is on another workflow (the other tenant does not see it).';
COMMENT ON COLUMN stage_transition.on_enter IS 'The entered stage''s on_enter as it was at the entry (a later edit of the stage does not change it): the actions of the entry''s stage_action event in the feed. NULL for a status change or a stage without actions.';
COMMENT ON COLUMN stage_transition.warnings IS 'The failed leaves of a ''warn'' rule at the time of the move (JSON array, empty when it passed).';

CREATE TABLE candidate_stage (
    id            bigserial PRIMARY KEY,
    tenant        text NOT NULL DEFAULT @extschema@.current_tenant(),
    job_id        bigint NOT NULL,
    candidate_id  bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    stage_id      bigint NOT NULL,
    status        text NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active', 'hired', 'rejected', 'withdrawn', 'transferred')),
    entered_at    timestamptz NOT NULL DEFAULT now(),
    transition_id bigint,
    visit_transition_id bigint,
    added_by      text NOT NULL DEFAULT @extschema@.current_actor(),
    attributes    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    CONSTRAINT candidate_stage_job_candidate_key UNIQUE (tenant, job_id, candidate_id),
    CONSTRAINT candidate_stage_job_workflow_fk FOREIGN KEY (tenant, job_id, workflow_id)
        REFERENCES job_workflow (tenant, job_id, workflow_id),
    CONSTRAINT candidate_stage_stage_fk FOREIGN KEY (workflow_id, stage_id)
        REFERENCES workflow_stage (workflow_id, id),
    CONSTRAINT candidate_stage_transition_fk FOREIGN KEY (transition_id)
        REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT candidate_stage_visit_transition_fk FOREIGN KEY (visit_transition_id)
        REFERENCES stage_transition (id) DEFERRABLE INITIALLY DEFERRED
);
-- (candidate_id alone: a candidate's rows in every tenant, for a facts table
-- of one organization; the tenant is a filter on those few rows)
CREATE INDEX candidate_stage_candidate_idx ON candidate_stage (candidate_id);
COMMENT ON INDEX candidate_stage_candidate_idx IS 'A candidate''s pipeline rows in every job (a facts change re-evaluates them; move_candidates finds its ids).';
CREATE INDEX candidate_stage_stage_idx ON candidate_stage (workflow_id, stage_id);
COMMENT ON INDEX candidate_stage_stage_idx IS 'The pipeline rows standing in a stage of a workflow (what the composite foreign key to workflow_stage reads when a stage is deleted).';
CREATE INDEX candidate_stage_active_idx ON candidate_stage (stage_id, entered_at) WHERE status = 'active';
COMMENT ON INDEX candidate_stage_active_idx IS 'Active candidates of a stage by the time they entered it: the SLA sweep (raise_overdue_alerts).';
-- Who stands where now in a job (pipeline_funnel's current): index-only.
CREATE INDEX candidate_stage_standing_idx ON candidate_stage (tenant, job_id, workflow_id, stage_id) WHERE status = 'active';
COMMENT ON INDEX candidate_stage_standing_idx IS 'Who stands where now in a job: pipeline_funnel''s current counts, index-only.';
COMMENT ON TABLE candidate_stage IS 'Where a candidate stands in a job''s pipeline. Triggers enforce and record every change: a plain UPDATE of stage_id is a move, checked like move_to_next_stage(); a DELETE is a removal, recorded like remove_candidate().';
COMMENT ON COLUMN candidate_stage.workflow_id IS 'The job''s workflow (filled from job_workflow on INSERT); ties stage_id to it through a composite foreign key.';
COMMENT ON COLUMN candidate_stage.stage_id IS 'The current stage; filled with the first stage on INSERT. Updating it is a move.';
COMMENT ON COLUMN candidate_stage.status IS '''active'', ''hired'' (entered a hired stage), ''rejected'' or ''withdrawn'' (reopen_candidate() makes them active again), ''transferred'' (transfer_candidate() took the candidate to another job: closed for good).';
COMMENT ON COLUMN candidate_stage.entered_at IS 'When the candidate entered the current stage (set by the trigger).';
COMMENT ON COLUMN candidate_stage.transition_id IS 'The stage_transition that recorded the latest change of this row (set by workflow_ext). The optimistic lock: an UPDATE that writes back an older value is refused with 40001.';
COMMENT ON COLUMN candidate_stage.added_by IS 'The actor who brought the candidate into the job (set by workflow_ext on INSERT, never changed).';
COMMENT ON COLUMN candidate_stage.tenant IS 'The organization of the job (stamped on INSERT, never changed); the candidate''s facts are this tenant''s.';
COMMENT ON COLUMN candidate_stage.attributes IS 'The application''s facts (this candidate in this job: scorecards, interview outcomes, offer approval), read by leaves with "source": "application"; a change re-evaluates the alerts of the current stage visit.';
COMMENT ON COLUMN candidate_stage.visit_transition_id IS 'The stage_transition that entered the current stage: identifies the stage visit (status changes do not start a new one). Set by workflow_ext.';

-- Each candidate's stage visits as rows (README: Reports), kept by the
-- engine as history is written (src/pg/stage_visits.c): a history row that
-- puts the candidate, active or hired, into a stage opens a visit; the next
-- history row of the candidate in the job and workflow, whatever it is,
-- closes it.  Derived from stage_transition alone, like an index: not dumped
-- (a restore of the history rebuilds it), never written by a client.
CREATE TABLE stage_visit_row (
    id            bigint PRIMARY KEY,
    tenant        text NOT NULL,
    job_id        bigint NOT NULL,
    candidate_id  bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    stage_id      bigint NOT NULL,
    entered_at    timestamptz NOT NULL,
    left_at       timestamptz,
    ended_by_transition_id bigint,
    next_stage_id bigint,
    next_status   text,
    time_in_stage interval,
    folded        boolean NOT NULL DEFAULT false
);
-- The funnel of a job: per stage, index-only counts and the k-th time in
-- stage in order (pipeline_funnel); the visits not yet folded into
-- stage_visit_summary apart from those that are.
CREATE INDEX stage_visit_row_funnel_idx ON stage_visit_row (tenant, job_id, workflow_id, folded, stage_id, time_in_stage) INCLUDE (entered_at, next_stage_id, next_status);
COMMENT ON INDEX stage_visit_row_funnel_idx IS 'The stage visits of a job by stage and time in stage, folded apart from unfolded: pipeline_funnel reads them index-only.';
COMMENT ON TABLE stage_visit_row IS 'Each stage visit of a candidate in a job as a row, written by workflow_ext with the history row that begins it and closed by the next history row of the candidate in the job and workflow (stage_visit shows them with their outcome; pipeline_funnel counts them). Derived from stage_transition alone: not dumped, rebuilt by a restore of the history.';
COMMENT ON COLUMN stage_visit_row.id IS 'The stage_transition that began the visit (entry, move, reopen).';
COMMENT ON COLUMN stage_visit_row.tenant IS 'The tenant of the pipeline row.';
COMMENT ON COLUMN stage_visit_row.job_id IS 'The job.';
COMMENT ON COLUMN stage_visit_row.candidate_id IS 'The candidate.';
COMMENT ON COLUMN stage_visit_row.workflow_id IS 'The workflow of the history row that began the visit.';
COMMENT ON COLUMN stage_visit_row.stage_id IS 'The stage visited.';
COMMENT ON COLUMN stage_visit_row.entered_at IS 'When the visit began (moved_at of its first history row).';
COMMENT ON COLUMN stage_visit_row.left_at IS 'When it ended (moved_at of the next history row); NULL while open.';
COMMENT ON COLUMN stage_visit_row.ended_by_transition_id IS 'The history row that ended the visit; NULL while open.';
COMMENT ON COLUMN stage_visit_row.next_stage_id IS 'to_stage_id of the history row that ended the visit; NULL while open.';
COMMENT ON COLUMN stage_visit_row.next_status IS 'to_status of the history row that ended the visit; NULL while open.';
COMMENT ON COLUMN stage_visit_row.time_in_stage IS 'left_at - entered_at; NULL while open.';
COMMENT ON COLUMN stage_visit_row.folded IS 'True once compact_stage_visits() has counted this (ended) visit into stage_visit_summary; history that changes a folded visit unfolds the whole job and workflow and empties its summary.';

-- The ended visits of a job on a workflow folded together per stage by
-- compact_stage_visits() (never by a move: no row here is written by the
-- hot path), so that pipeline_funnel reads these few rows and only the
-- visits not folded yet.  Exactly the visit rows with folded = true of the
-- job and workflow, always (the same transaction changes both).  Derived
-- like stage_visit_row: not dumped (a restore starts with none folded).
CREATE TABLE stage_visit_summary (
    tenant        text NOT NULL,
    job_id        bigint NOT NULL,
    workflow_id   bigint NOT NULL,
    stage_id      bigint NOT NULL,
    next_stage_ids bigint[] NOT NULL,
    next_statuses text[] NOT NULL,
    visits        bigint[] NOT NULL,
    time_in_stage bigint[] NOT NULL,
    PRIMARY KEY (tenant, job_id, workflow_id, stage_id)
);
ALTER TABLE stage_visit_summary ALTER COLUMN time_in_stage SET STORAGE EXTERNAL;
COMMENT ON TABLE stage_visit_summary IS 'The folded (ended) stage visits of a job on a workflow, per stage: how many ended which way and their times in stage in order. Written only by compact_stage_visits() and emptied when history changes a folded visit; pipeline_funnel adds the visits not folded yet. Derived from stage_visit_row: not dumped.';
COMMENT ON COLUMN stage_visit_summary.tenant IS 'The tenant of the pipeline.';
COMMENT ON COLUMN stage_visit_summary.job_id IS 'The job.';
COMMENT ON COLUMN stage_visit_summary.workflow_id IS 'The workflow of the visits.';
COMMENT ON COLUMN stage_visit_summary.stage_id IS 'The stage visited.';
COMMENT ON COLUMN stage_visit_summary.next_stage_ids IS 'With next_statuses and visits, element by element: how many folded visits ended by a history row to that stage and status.';
COMMENT ON COLUMN stage_visit_summary.next_statuses IS 'See next_stage_ids.';
COMMENT ON COLUMN stage_visit_summary.visits IS 'See next_stage_ids.';
COMMENT ON COLUMN stage_visit_summary.time_in_stage IS 'The time in stage of every folded visit in microseconds (days * 86400000000 + time of the interval, which has no months), ascending.';

CREATE TABLE alert_event (
    id              bigserial PRIMARY KEY,
    tenant          text NOT NULL,
    alert_id        bigint REFERENCES alert (id) ON DELETE SET NULL,
    job_id          bigint NOT NULL,
    candidate_id    bigint NOT NULL,
    workflow_id     bigint NOT NULL,
    stage_id        bigint NOT NULL,
    -- No foreign keys of their own on transition_id and stage_id: only the
    -- extension's C code writes alert_event (history_write_guard), always with
    -- the transition that began the stage visit and that transition's
    -- to_stage_id, which stage_transition_to_stage_fk keeps.  The delete side
    -- of the former key: stage_transition_keeps_alert_events.
    transition_id   bigint NOT NULL,
    cause           text NOT NULL CHECK (cause IN ('entry', 'facts', 'sla')),
    severity        text NOT NULL,
    message         text NOT NULL,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    facts           jsonb NOT NULL DEFAULT '{}',
    acknowledged_at timestamptz,
    acknowledged_by text,
    xact_id         xid8 NOT NULL DEFAULT pg_current_xact_id()
);
CREATE UNIQUE INDEX alert_event_once_per_visit_idx ON alert_event (tenant, candidate_id, transition_id, alert_id);
COMMENT ON INDEX alert_event_once_per_visit_idx IS 'An alert fires at most once per stage visit (transition_id): the arbiter of the events'' ON CONFLICT DO NOTHING.';
CREATE UNIQUE INDEX alert_event_sla_once_idx ON alert_event (tenant, candidate_id, transition_id) WHERE cause = 'sla';
COMMENT ON INDEX alert_event_sla_once_idx IS 'The SLA sweep raises at most one overdue event per stage visit.';
CREATE INDEX alert_event_open_idx ON alert_event (tenant, job_id, candidate_id) WHERE acknowledged_at IS NULL;
COMMENT ON INDEX alert_event_open_idx IS 'A candidate''s or a job''s unacknowledged alert events.';
CREATE INDEX alert_event_feed_idx ON alert_event (xact_id, id);
COMMENT ON INDEX alert_event_feed_idx IS 'Alert events in commit order: the event feed (workflow_events_since) reads from its cursor on.';
COMMENT ON TABLE alert_event IS 'An alert that fired for a candidate during one stage visit (transition_id), with the facts it saw.';
COMMENT ON COLUMN alert_event.alert_id IS 'The alert definition; NULL for SLA events and after the definition is deleted (message and severity are kept).';
COMMENT ON COLUMN alert_event.transition_id IS 'The transition that started the stage visit (candidate_stage.visit_transition_id); an alert fires at most once per visit.';
COMMENT ON COLUMN alert_event.cause IS '''entry'': on entering the stage; ''facts'': the candidate''s facts changed; ''sla'': raise_overdue_alerts().';
COMMENT ON COLUMN alert_event.xact_id IS 'The writing transaction''s feed position, stamped by the engine (feed_xact_id(): generation << 48 | pg_current_xact_id(), so that positions stay ordered across a restore into another cluster): orders the event feed by commit horizon (workflow_events_since).';
COMMENT ON COLUMN alert_event.facts IS 'Snapshot of the candidate''s facts when the alert fired.';
COMMENT ON COLUMN alert_event.tenant IS 'The tenant of the pipeline row the alert fired for.';

CREATE TABLE facts_source (
    id         integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    relation   regclass NOT NULL,
    key_column name NOT NULL,
    tenant_column name,
    set_by     text NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE facts_source IS 'At most one row: the user table whose rows are the candidates'' facts (set_candidate_source); none means candidate_profile.';
COMMENT ON COLUMN facts_source.tenant_column IS 'The column naming each row''s tenant: a row is the facts of that tenant''s candidate only. NULL: the table holds one organization''s candidates, facts for every tenant.';

CREATE TYPE move_result AS (
    job_id        bigint,
    candidate_id  bigint,
    from_stage_id bigint,
    to_stage_id   bigint,
    to_stage_name text,
    transition_id bigint,
    alerts_raised integer,
    warnings      jsonb
);
COMMENT ON TYPE move_result IS 'What move_to_next_stage() and move_to_stage() return: the move, its history row, alerts raised and the failed leaves of a warn rule.';

-- History is written by the extension's C code alone (src/pg/rights.c); a
-- superuser restoring a dump with COPY is let through.
CREATE FUNCTION history_write_guard() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_history_write_guard';
COMMENT ON FUNCTION history_write_guard() IS
    'BEFORE INSERT trigger on stage_transition and alert_event: accepts only the row workflow_ext''s C code announced (42501 otherwise), or a superuser''s COPY of a dump.';
CREATE TRIGGER stage_transition_write_guard BEFORE INSERT ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();
CREATE TRIGGER alert_event_write_guard BEFORE INSERT ON alert_event
    FOR EACH ROW EXECUTE FUNCTION history_write_guard();

-- A transition that alert events name stays (23503), as when alert_event had
-- a foreign key to it.  Only the tables' owner may delete history; nobody
-- updates it (stage_transition_immutable).
CREATE FUNCTION history_keeps_alert_events() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_TABLE_NAME <> 'stage_transition' OR TG_TABLE_SCHEMA <> '@extschema@' THEN
        RAISE EXCEPTION 'history_keeps_alert_events() fires only on stage_transition'
            USING ERRCODE = 'trigger_protocol_violated', DETAIL = '{"reason": "trigger_protocol"}';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.alert_event e
                WHERE e.tenant = OLD.tenant AND e.candidate_id = OLD.candidate_id
                  AND e.transition_id = OLD.id) THEN
        RAISE EXCEPTION 'delete on table "stage_transition" would orphan rows of table "alert_event"'
            USING ERRCODE = 'foreign_key_violation',
                  DETAIL = jsonb_build_object('reason', 'transition_has_alert_events', 'transition_id', OLD.id)::text,
                  HINT = format('Key (id)=(%s) is still referenced from table "alert_event".', OLD.id);
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION history_keeps_alert_events() IS
    'AFTER DELETE trigger on stage_transition: a transition that alert events name cannot be deleted (23503), the delete side of a foreign key alert_event does not carry.';
CREATE TRIGGER stage_transition_keeps_alert_events AFTER DELETE ON stage_transition
    FOR EACH ROW EXECUTE FUNCTION history_keeps_alert_events();

-- workflow_ext.require_actor on every write.  Where row triggers already ask
-- for the actor (candidate_stage inserts and updates) or only the extension's
-- own triggers write (history inserts), the statement trigger covers the rest.
DO $$
DECLARE
    t text;
    events text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'job_profile', 'rejection_reason',
                             'stage_transition', 'candidate_stage', 'alert_event', 'facts_source']
    LOOP
        events := CASE WHEN t IN ('candidate_stage', 'stage_transition', 'alert_event')
                       THEN 'UPDATE OR DELETE OR TRUNCATE' ELSE 'INSERT OR UPDATE OR DELETE OR TRUNCATE' END;
        IF t = 'candidate_stage' THEN
            events := 'DELETE OR TRUNCATE';
        END IF;
        EXECUTE format('CREATE TRIGGER %I BEFORE %s ON @extschema@.%I
                        FOR EACH STATEMENT EXECUTE FUNCTION @extschema@.require_actor_trigger()',
                       t || '_require_actor', events, t);
    END LOOP;
END $$;

-- The id sequences: one per table, shared by every tenant.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'job_profile', 'rejection_reason',
                             'stage_transition', 'candidate_stage', 'alert_event']
    LOOP
        EXECUTE format('COMMENT ON SEQUENCE @extschema@.%I IS %L', t || '_id_seq',
                       format('The ids of %s (every tenant''s: its values show the table''s growth). Drawn by workflow_ext only; no role needs a privilege on it.', t));
        -- No default: the engine draws the id (stamp_id(), or the history's C code).
        EXECUTE format('ALTER TABLE @extschema@.%I ALTER COLUMN id DROP DEFAULT', t);
    END LOOP;
END $$;

-- Ids are the engine's: an id chosen ahead of the shared sequence would make
-- every tenant's later inserts fail (src/pg/id_stamp.c).  History gets its
-- ids from the C code that writes it (history_write_guard).
CREATE FUNCTION stamp_id() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'wf_stamp_id';
COMMENT ON FUNCTION stamp_id() IS
    'BEFORE INSERT OR UPDATE trigger on the extension''s tables: draws the id from the table''s sequence (no privilege on it needed), refuses an id given by an INSERT or COPY or changed by an UPDATE (428C9, reason id_assigned); a restore keeps the dumped id.';
REVOKE EXECUTE ON FUNCTION stamp_id() FROM PUBLIC;
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['workflow', 'workflow_share', 'workflow_stage', 'stage_rule', 'alert',
                             'job_workflow', 'candidate_profile', 'job_profile', 'rejection_reason', 'candidate_stage']
    LOOP
        EXECUTE format('CREATE TRIGGER stamp_id BEFORE INSERT OR UPDATE OF id ON @extschema@.%I
                        FOR EACH ROW EXECUTE FUNCTION @extschema@.stamp_id()', t);
    END LOOP;
END $$;
