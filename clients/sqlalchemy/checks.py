"""SQLAlchemy 1.4 (Debian 12) on workflow_ext, run by
clients/sqlalchemy/run-tests.sh as the application role with exactly the
README's grants.  Checks what the README's SQLAlchemy section says:
  1. the columns the triggers set are mapped with FetchedValue
     (server_default, and server_onupdate for those a change sets again) and
     the mapper has eager_defaults=True: an INSERT or an ORM move returns them
     (RETURNING) and reading them issues no second query; without
     eager_defaults each read after the flush is a SELECT;
  2. transition_id is the mapper's server-side version counter
     (version_id_col, version_id_generator=False): a stale save (another
     request moved the candidate) updates nothing and raises StaleDataError;
     a mapping without it silently moves the candidate from where it stands now;
     writing transition_id back (the extension's own check) is 40001.
  3. a blocked move is the extension's 23514 with its JSON DETAIL.
Ends with "# N passed, M failed"."""
import json
import os
import sys

from sqlalchemy import (BigInteger, Column, DateTime, FetchedValue, Integer, Text, create_engine,
                        event, select, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session, declarative_base
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

engine = create_engine(
    "postgresql+psycopg2://",
    connect_args=dict(host=os.environ.get("PGHOST"), port=os.environ.get("PGPORT"),
                      dbname=os.environ["WF_DB_NAME"], user=os.environ["WF_DB_USER"],
                      password=os.environ["WF_DB_PASSWORD"]),
    future=True)

statements = []


@event.listens_for(engine, "before_cursor_execute")
def _count(conn, cursor, statement, parameters, context, executemany):
    statements.append(statement)


Base = declarative_base()


class Workflow(Base):
    __tablename__ = "workflow"
    id = Column(BigInteger, primary_key=True, server_default=FetchedValue())
    name = Column(Text, nullable=False)
    owner = Column(Text, server_default=FetchedValue())
    tenant = Column(Text, server_default=FetchedValue())


class WorkflowStage(Base):
    __tablename__ = "workflow_stage"
    id = Column(BigInteger, primary_key=True, server_default=FetchedValue())
    workflow_id = Column(BigInteger, nullable=False)
    name = Column(Text, nullable=False)
    position = Column(Integer, nullable=False)
    kind = Column(Text, server_default=FetchedValue())


class StageRule(Base):
    __tablename__ = "stage_rule"
    id = Column(BigInteger, primary_key=True, server_default=FetchedValue())
    stage_id = Column(BigInteger, nullable=False)
    name = Column(Text, nullable=False)
    condition = Column(JSONB, nullable=False)


class CandidateProfile(Base):
    __tablename__ = "candidate_profile"
    id = Column(BigInteger, primary_key=True, server_default=FetchedValue())
    tenant = Column(Text, server_default=FetchedValue())
    candidate_id = Column(BigInteger, nullable=False)
    facts = Column("attributes", JSONB, server_default=FetchedValue())
    updated_at = Column(DateTime(timezone=True), server_default=FetchedValue(),
                        server_onupdate=FetchedValue())
    __mapper_args__ = {"eager_defaults": True}


def candidate_stage_columns():
    """The columns of candidate_stage: what the triggers fill on INSERT is a
    server_default FetchedValue; what they set again on an UPDATE (a move, a
    status change) also a server_onupdate FetchedValue."""
    return dict(
        __tablename__="candidate_stage",
        id=Column(BigInteger, primary_key=True, server_default=FetchedValue()),
        tenant=Column(Text, server_default=FetchedValue()),
        job_id=Column(BigInteger, nullable=False),
        candidate_id=Column(BigInteger, nullable=False),
        workflow_id=Column(BigInteger, server_default=FetchedValue()),
        stage_id=Column(BigInteger, server_default=FetchedValue()),
        status=Column(Text, server_default=FetchedValue(), server_onupdate=FetchedValue()),
        entered_at=Column(DateTime(timezone=True), server_default=FetchedValue(),
                          server_onupdate=FetchedValue()),
        transition_id=Column(BigInteger, server_default=FetchedValue(),
                             server_onupdate=FetchedValue()),
        visit_transition_id=Column(BigInteger, server_default=FetchedValue(),
                                   server_onupdate=FetchedValue()),
        added_by=Column(Text, server_default=FetchedValue()),
        facts=Column("attributes", JSONB, server_default=FetchedValue()),
    )


class CandidateStage(Base):
    """The mapping the README recommends."""
    locals().update(candidate_stage_columns())
    __mapper_args__ = {
        "eager_defaults": True,                 # RETURNING the FetchedValue columns
        "version_id_col": transition_id,        # noqa: F821 (from the dict above)
        "version_id_generator": False,          # the engine sets it: fetched, never sent
    }


class PlainCandidateStage(Base):
    """The same table, no eager_defaults, no version counter."""
    __table__ = CandidateStage.__table__


passed = failed = 0


def check(name, fn):
    global passed, failed
    try:
        ok = fn()
    except Exception as e:  # a check that raises fails, with its error
        ok = False
        name += " (%s: %s)" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    if ok:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - " + name)


def as_actor(actor):
    """A session in one transaction with the actor set (SET LOCAL), as each
    request does; commits at the end of the with block."""
    class _Ctx:
        def __enter__(self):
            self.s = Session(engine, future=True)
            self.t = self.s.begin()
            self.s.execute(text("SELECT set_config('workflow_ext.actor', :a, true)"), {"a": actor})
            return self.s

        def __exit__(self, et, ev, tb):
            if et is None:
                self.t.commit()
            else:
                self.t.rollback()
            self.s.close()
            return False
    return _Ctx()


ANN = "user:ann"
JOB = 1234
with as_actor(ANN) as s:
    wf = Workflow(name="Backend engineer")
    s.add(wf)
    s.flush()
    stages = []
    for i, name in enumerate(["Applied", "Screen", "Onsite", "Offer"]):
        st = WorkflowStage(workflow_id=wf.id, name=name, position=i + 1)
        s.add(st)
        stages.append(st)
    s.flush()
    stages[3].kind = "hired"
    s.add(StageRule(stage_id=stages[2].id, name="senior",
                    condition={"field": "years", "op": "gte", "value": 3}))
    s.flush()
    s.execute(text("SELECT assign_workflow(:j, :w)"), {"j": JOB, "w": wf.id})
    for c in (457, 458, 459):
        s.add(CandidateProfile(candidate_id=c, facts={"years": 5}))
    S = [st.id for st in stages]
    WF = wf.id


def stage_of(candidate):
    with as_actor(ANN) as s:
        return s.execute(text("SELECT stage_id FROM candidate_stage WHERE job_id = :j AND candidate_id = :c"),
                         {"j": JOB, "c": candidate}).scalar_one()


def sqlstate(e):
    return getattr(getattr(e, "orig", None), "pgcode", None)


def whoami():
    with engine.connect() as c:
        return c.execute(text("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")).one()


check("connected as the application role, not a superuser",
      lambda: tuple(whoami()) == (os.environ["WF_DB_USER"], False))


def insert_returns_trigger_values():
    with as_actor(ANN) as s:
        row = CandidateStage(job_id=JOB, candidate_id=456)
        s.add(row)
        del statements[:]
        s.flush()
        n = len(statements)
        got = (row.workflow_id, row.stage_id, row.status, row.added_by, row.transition_id is not None,
               row.entered_at is not None, row.tenant)
        ins = statements[0]
        return n == 1 and len(statements) == 1 and "RETURNING" in ins and \
            got == (WF, S[0], "active", ANN, True, True, ANN)


check("INSERT (job_id, candidate_id): the triggers' values come back with it (eager_defaults, RETURNING), no second query",
      insert_returns_trigger_values)


def orm_move_returns_trigger_values():
    with as_actor(ANN) as s:
        row = s.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=456)).scalar_one()
        before = (row.transition_id, row.entered_at)
        row.stage_id = S[1]
        del statements[:]
        s.flush()
        upd = statements[:]
        got = (row.transition_id, row.visit_transition_id, row.entered_at, row.status)
        after = len(statements)
        latest = s.execute(text("SELECT max(id) FROM stage_transition WHERE job_id = :j AND candidate_id = 456"),
                           {"j": JOB}).scalar_one()
        print("# " + upd[0].replace("\n", " "))
        return len(upd) == 1 and after == 1 and "RETURNING" in upd[0] and \
            got[0] == latest and got[1] == latest and got[0] != before[0] and got[2] > before[1] and got[3] == "active"


check("a move via ORM update (stage_id = …; flush): transition_id, visit_transition_id, entered_at read back in the UPDATE itself",
      orm_move_returns_trigger_values)


def hired_status_without_second_query():
    with as_actor(ANN) as s:
        row = CandidateStage(job_id=JOB, candidate_id=457)
        s.add(row)
        s.flush()
        row.stage_id = S[3]                       # Offer: a hired stage (skipping is allowed)
        del statements[:]
        s.flush()
        return row.status == "hired" and len(statements) == 1


check("a move into a hired stage: status 'hired', set by the trigger, is on the object without a SELECT",
      hired_status_without_second_query)


def without_eager_defaults_a_select_each():
    with as_actor(ANN) as s:
        row = s.execute(select(PlainCandidateStage).filter_by(job_id=JOB, candidate_id=456)).scalar_one()
        row.stage_id = S[0]
        del statements[:]
        s.flush()
        n_flush = len(statements)
        row.transition_id
        return n_flush == 1 and len(statements) == 2 and statements[1].lstrip().startswith("SELECT")


check("without eager_defaults the same move leaves them expired: reading transition_id is a second query",
      without_eager_defaults_a_select_each)


def stale_save_refused():
    with as_actor(ANN) as s:
        s.add(CandidateStage(job_id=JOB, candidate_id=458))
    s1 = Session(engine, future=True)                 # this request read the row in Applied
    t1 = s1.begin()
    s1.execute(text("SELECT set_config('workflow_ext.actor', :a, true)"), {"a": ANN})
    stale = s1.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=458)).scalar_one()
    with as_actor(ANN) as s:                          # another request moves it to Screen, commits
        s.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=458)).scalar_one().stage_id = S[1]
    stale.stage_id = S[2]                             # this one meant Applied -> Onsite
    del statements[:]
    try:
        s1.flush()
        err = None
    except StaleDataError as e:
        err = e
    t1.rollback()
    s1.close()
    upd = [x for x in statements if x.startswith("UPDATE")]
    print("# " + upd[0].replace("\n", " "))
    return err is not None and "transition_id" in upd[0].split("WHERE")[1] and stage_of(458) == S[1]


check("version_id_col = transition_id: a stale save updates nothing (WHERE transition_id = the one read): StaleDataError, nothing moves",
      stale_save_refused)


def plain_stale_save_moves():
    with as_actor(ANN) as s:
        s.add(CandidateStage(job_id=JOB, candidate_id=459))
    s1 = Session(engine, future=True)
    t1 = s1.begin()
    s1.execute(text("SELECT set_config('workflow_ext.actor', :a, true)"), {"a": ANN})
    stale = s1.execute(select(PlainCandidateStage).filter_by(job_id=JOB, candidate_id=459)).scalar_one()
    with as_actor(ANN) as s:
        s.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=459)).scalar_one().stage_id = S[1]
    stale.stage_id = S[2]
    s1.flush()
    t1.commit()
    s1.close()
    return stage_of(459) == S[2]


check("without it, SQLAlchemy's UPDATE sends only stage_id: the stale save goes through from where the candidate stands now",
      plain_stale_save_moves)


def written_back_transition_id_is_40001():
    s1 = Session(engine, future=True)
    t1 = s1.begin()
    s1.execute(text("SELECT set_config('workflow_ext.actor', :a, true)"), {"a": ANN})
    stale = s1.execute(select(PlainCandidateStage).filter_by(job_id=JOB, candidate_id=459)).scalar_one()
    with as_actor(ANN) as s:
        s.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=459)).scalar_one().stage_id = S[3]
    stale.status = "rejected"
    flag_modified(stale, "transition_id")             # send the value read: the extension's check
    try:
        s1.flush()
        err = None
    except Exception as e:
        err = e
    t1.rollback()
    s1.close()
    return sqlstate(err) == "40001" and "stale_transition" in err.orig.diag.message_detail


check("or write transition_id back (flag_modified): the extension refuses the stale row with 40001 stale_transition",
      written_back_transition_id_is_40001)


def blocked_move():
    s = Session(engine, future=True)
    t = s.begin()
    try:
        s.execute(text("SELECT set_config('workflow_ext.actor', :a, true)"), {"a": ANN})
        row = s.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=456)).scalar_one()
        row.stage_id = S[2]                           # Onsite: years >= 3, candidate 456 has no profile
        try:
            s.flush()
            return False
        except Exception as e:
            detail = json.loads(e.orig.diag.message_detail)
            return sqlstate(e) == "23514" and detail["reason"] == "rule_blocked" and detail["stage_id"] == S[2]
    finally:
        t.rollback()
        s.close()


check("a blocked move is the extension's 23514 with its JSON DETAIL (rule_blocked, the stage)", blocked_move)


def consecutive_moves_one_session():
    with as_actor(ANN) as s:
        s.add(CandidateProfile(candidate_id=456, facts={"years": 4}))
        row = s.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=456)).scalar_one()
        row.stage_id = S[2]
        s.flush()
        row.status = "rejected"                       # the version read back by the move is current
        s.flush()
        latest = s.execute(text("SELECT max(id) FROM stage_transition WHERE job_id = :j AND candidate_id = 456"),
                           {"j": JOB}).scalar_one()
        return (row.stage_id, row.status, row.transition_id) == (S[2], "rejected", latest)


check("consecutive changes of one object in a session need no refresh: each UPDATE returned the new transition_id",
      consecutive_moves_one_session)



def read_after_commit():
    s = Session(engine, future=True)
    with s.begin():
        s.execute(text("SELECT set_config('workflow_ext.actor', :a, true)"), {"a": ANN})
        row = s.execute(select(CandidateStage).filter_by(job_id=JOB, candidate_id=456)).scalar_one()
    try:
        row.stage_id                                  # expired by the commit: a new transaction
        return False
    except Exception as e:
        print("# %s" % str(e).splitlines()[0])
        return sqlstate(e) == "42501"
    finally:
        s.close()


check("after the commit, a read of the expired object is a new transaction without the actor: refused (42501)",
      read_after_commit)

print("# %d passed, %d failed" % (passed, failed))
sys.exit(0 if failed == 0 else 1)
