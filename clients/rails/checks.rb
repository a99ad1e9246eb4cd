# ActiveRecord (Rails 6.1, as Debian 12 ships it) on workflow_ext, run by
# clients/rails/run-tests.sh as the application role with exactly the README's
# grants.  A one-file Rails application (config/database.yml) whose checks
# show what the README's Rails section says:
#   1. schema.rb cannot carry the extension's tables (some are left out, the
#      rest lose their triggers and policies) and loading it fails;
#      structure.sql (schema_format = :sql, dumping the application's schema)
#      loads into a test database that has the extension, and moves work there;
#   2. only full-row writes (partial_writes = false) send transition_id back,
#      so a stale save is refused (40001) instead of moving the candidate from
#      wherever it stands now;
#   3. a save does not read back what the triggers set: reload after each one;
#   4. a column named "attributes" clashes with ActiveRecord::Base#attributes;
#      the models keep Active Record's method and map the column as "facts",
#      read and written in one statement.
# Ends with "# N passed, M failed".
require "rails"
require "active_record/railtie"
require "logger"
require "tmpdir"

class App < Rails::Application
  config.root = __dir__
  config.eager_load = false
  config.logger = Logger.new($stderr, level: :warn)
  config.active_record.logger = nil
  # structure.sql: pg_dump knows which objects are the extension's.
  config.active_record.schema_format = :sql
end
App.initialize!
tmp = Dir.mktmpdir("wf-rails")
at_exit { FileUtils.rm_rf(tmp) }
ActiveRecord::Tasks::DatabaseTasks.db_dir = tmp
# Only the application's own schema: the extension is a superuser's to create
# (it is not trusted), its objects come with CREATE EXTENSION, and the
# application role may neither read its sequences (pg_dump's whole-database
# dump stops there) nor COMMENT ON EXTENSION (which that dump would load).
ActiveRecord::Tasks::DatabaseTasks.structure_dump_flags = ["--schema=app"]

$passed = 0
$failed = 0
def check(name)
  ok = yield
  if ok
    $passed += 1
    puts "ok - #{name}"
  else
    $failed += 1
    puts "not ok - #{name}"
  end
rescue StandardError, ScriptError => e
  $failed += 1
  puts "not ok - #{name} (#{e.class}: #{e.message.lines.first&.strip})"
  puts e.backtrace.first(5).map { |l| "#   #{l}" } if ENV["VERBOSE"]
end

# What a block raised (nil if nothing), the transaction rolled back.
def raised
  yield
  nil
rescue StandardError, ScriptError => e
  e
end

class ApplicationRecord < ActiveRecord::Base
  self.abstract_class = true

  # One transaction with the actor set (SET LOCAL), as each request does.
  def self.as_actor(actor)
    transaction do
      connection.select_value("SELECT set_config('workflow_ext.actor', #{connection.quote(actor)}, true)")
      yield
    end
  end

  # A column named "attributes" (candidate_profile, candidate_stage) would
  # generate methods over ActiveRecord::Base#attributes and #attributes=:
  # Active Record refuses that (DangerousAttributeError).  Keep Active
  # Record's methods (no accessor is generated for the column) and map the
  # column through #facts below: read_attribute/write_attribute, so the value
  # is typed (jsonb) and dirty-tracked and a save writes it.
  def self.instance_method_already_implemented?(method_name)
    super
  rescue ActiveRecord::DangerousAttributeError
    raise unless method_name.to_s.start_with?("attributes")
    true
  end
end

module Facts
  def facts = read_attribute("attributes")
  def facts=(value)
    write_attribute("attributes", value)
  end
end

class Workflow < ApplicationRecord
  self.table_name = "workflow"
end

class WorkflowStage < ApplicationRecord
  self.table_name = "workflow_stage"
  attribute :sla, :string       # interval as PostgreSQL's text (Rails 6.1's default, said explicitly)
end

class StageRule < ApplicationRecord
  self.table_name = "stage_rule"
end

class CandidateProfile < ApplicationRecord
  self.table_name = "candidate_profile"
  include Facts
end

class CandidateStage < ApplicationRecord
  self.table_name = "candidate_stage"
  include Facts
  # Every column on UPDATE, transition_id (the optimistic lock) among them.
  self.partial_writes = false

  # (Rails 6.1 has one switch for INSERT and UPDATE: a new row is inserted
  # with every column too, NULL for those the triggers fill, which they do.)
end

# The same table with Rails' default (partial writes): only changed columns.
class PartialCandidateStage < ApplicationRecord
  self.table_name = "candidate_stage"
  include Facts
end

# A model that maps the column the plain way.
class NaiveProfile < ActiveRecord::Base
  self.table_name = "candidate_profile"
end

def conn = ActiveRecord::Base.connection
dev = ActiveRecord::Base.configurations.configs_for(env_name: "development").first
test_db = ActiveRecord::Base.configurations.configs_for(env_name: "test").first

check("connected as the application role, not a superuser") do
  conn.select_value("SELECT current_user") == ENV["WF_DB_USER"] &&
    conn.select_value("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") == false
end

# The application's own table, in its schema "app", as a migration makes it.
conn.create_table("app.candidate_note") { |t| t.bigint :candidate_id, null: false; t.text :body }
conn.execute("CREATE TABLE IF NOT EXISTS app.schema_migrations (version varchar PRIMARY KEY)")
conn.execute("INSERT INTO app.schema_migrations VALUES ('20260101000000') ON CONFLICT DO NOTHING")

# ---- 1. schema.rb against structure.sql -----------------------------------
schema_rb = File.join(tmp, "schema.rb")
structure_sql = File.join(tmp, "structure.sql")
ActiveRecord::Tasks::DatabaseTasks.dump_schema(dev, :ruby)
rb = File.read(schema_rb)
extension_tables = conn.select_values(<<~SQL)
  SELECT c.relname FROM pg_depend d JOIN pg_class c ON c.oid = d.objid
   WHERE d.classid = 'pg_class'::regclass AND d.deptype = 'e' AND c.relkind = 'r'
     AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'workflow_ext')
SQL

check("schema.rb dumps the extension's tables as the application's own (create_table candidate_stage)") do
  rb.include?('create_table "candidate_stage"') && rb.include?('enable_extension "workflow_ext"')
end
check("schema.rb leaves some out (xid8, regclass, expression indexes: 'Could not dump table')") do
  missing = extension_tables.reject { |t| rb.include?("create_table \"#{t}\"") }
  puts "# not in schema.rb: #{missing.sort.join(', ')}"
  missing.include?("stage_transition") && missing.include?("alert_event") && rb.include?("Could not dump table")
end
check("schema.rb has none of the triggers and row-level security policies that make the tables the engine") do
  triggers = conn.select_value("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.candidate_stage'::regclass AND NOT tgisinternal")
  policies = conn.select_value("SELECT count(*) FROM pg_policy WHERE polrelid = 'public.candidate_stage'::regclass")
  triggers > 0 && policies > 0 && rb !~ /CREATE TRIGGER|CREATE POLICY|ROW LEVEL SECURITY/i
end
def load_into_test(db_config, format, file, dev)
  ActiveRecord::Tasks::DatabaseTasks.load_schema(db_config, format, file)
ensure
  ActiveRecord::Base.establish_connection(dev)    # load_schema leaves Base on the test database
end
test_triggers = lambda do
  ActiveRecord::Base.establish_connection(test_db)
  ActiveRecord::Base.connection.select_value("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.candidate_stage'::regclass AND NOT tgisinternal")
ensure
  ActiveRecord::Base.establish_connection(dev)
end
triggers_before = test_triggers.call
check("loading schema.rb into the test database fails (db:schema:load)") do
  e = raised { load_into_test(test_db, :ruby, schema_rb, dev) }
  puts "# #{e.class}: #{e.message.lines.first&.strip}" if e
  !e.nil?
end
check("a schema.rb cleaned of what it could not dump still fails: create_table force: :cascade drops the extension's table") do
  cleaned = File.join(tmp, "schema_cleaned.rb")
  skipping = false
  File.write(cleaned, rb.lines.reject { |l|
    skipping = true if l.start_with?("# Could not dump")
    skipping = false if skipping && l =~ /\A(  create_table|  add_foreign_key|end)/
    skipping
  }.join)
  e = raised { load_into_test(test_db, :ruby, cleaned, dev) }
  puts "# #{e.class}: #{e.message.lines.first&.strip}" if e
  e.is_a?(ActiveRecord::StatementInvalid) && e.message =~ /must be owner of table|extension workflow_ext requires it/
end
check("the test database's extension is untouched by those loads") { test_triggers.call == triggers_before && triggers_before > 0 }

ActiveRecord::Tasks::DatabaseTasks.dump_schema(dev, :sql)
sql = File.read(structure_sql)
check("structure.sql (schema_format = :sql) holds the application's table, none of the extension's") do
  sql.include?("CREATE TABLE app.candidate_note") && sql !~ /CREATE TABLE public\./ &&
    sql.include?("INSERT INTO \"schema_migrations\" (version) VALUES\n('20260101000000')")
end
check("structure.sql loads into the test database as the application role (db:schema:load)") do
  e = raised { load_into_test(test_db, :sql, structure_sql, dev) }
  puts "# #{e.class}: #{e.message}" if e
  e.nil?
end
check("in the loaded test database the extension's triggers act: a blocked move is refused, an allowed one recorded") do
  ActiveRecord::Base.establish_connection(test_db)
  c = ActiveRecord::Base.connection
  note = c.select_value("SELECT to_regclass('app.candidate_note') IS NOT NULL")
  got = nil
  ApplicationRecord.as_actor("user:tess") do
    wf = Workflow.create!(name: "Test database")
    s1 = WorkflowStage.create!(workflow_id: wf.id, name: "Applied", position: 1)
    s2 = WorkflowStage.create!(workflow_id: wf.id, name: "Onsite", position: 2)
    StageRule.create!(stage_id: s2.id, name: "senior", condition: { field: "years", op: "gte", value: 3 })
    c.select_value("SELECT assign_workflow(1, #{wf.id})")
    row = CandidateStage.create!(job_id: 1, candidate_id: 1)
    row.reload
    row.stage_id = s2.id
    blocked = raised { CandidateStage.transaction(requires_new: true) { row.save! } }
    CandidateProfile.create!(candidate_id: 1, facts: { "years" => 5 })
    row.reload
    row.stage_id = s2.id
    row.save!
    got = [note, CandidateStage.find(row.id).stage_id == s2.id ? :moved : :unmoved,
           blocked.is_a?(ActiveRecord::StatementInvalid) && blocked.cause.result.error_field(PG::Result::PG_DIAG_SQLSTATE),
           c.select_value("SELECT count(*) FROM stage_transition WHERE job_id = 1")]
  end
  puts "# #{got.inspect}"
  got == [true, :moved, "23514", 2]
ensure
  ActiveRecord::Base.establish_connection(dev)
end

# ---- a pipeline for the write checks --------------------------------------
ANN = "user:ann"
stages = nil
ApplicationRecord.as_actor(ANN) do
  wf = Workflow.create!(name: "Backend engineer")
  stages = %w[Applied Screen Onsite Offer].each_with_index.map do |name, i|
    WorkflowStage.create!(workflow_id: wf.id, name: name, position: i + 1)
  end
  WorkflowStage.where(id: stages[3].id).update_all(kind: "hired")
  conn.select_value("SELECT assign_workflow(1234, #{wf.id})")
  [456, 457, 458, 459].each { |c| CandidateStage.create!(job_id: 1234, candidate_id: c) }
end
def stage_of(candidate)
  ApplicationRecord.as_actor(ANN) { CandidateStage.find_by!(job_id: 1234, candidate_id: candidate).stage_id }
end
def sqlstate(e)
  e.respond_to?(:cause) && e.cause.respond_to?(:result) && e.cause.result.error_field(PG::Result::PG_DIAG_SQLSTATE)
end

# ---- 2. full-row writes and the stale check -------------------------------
check("a full-row INSERT of a new pipeline row (NULLs but for its ids): the triggers fill workflow, first stage and stamps") do
  ApplicationRecord.as_actor(ANN) do
    r = CandidateStage.find_by!(job_id: 1234, candidate_id: 456)
    [r.stage_id, r.status, r.added_by, r.transition_id.nil?] == [stages[0].id, "active", ANN, false]
  end
end

check("partial_writes = false: a stale save (another request moved the candidate) is refused with 40001, nothing moves") do
  stale = ApplicationRecord.as_actor(ANN) { CandidateStage.find_by!(job_id: 1234, candidate_id: 456) }
  ApplicationRecord.as_actor("user:ann") do                 # another request moves it to Screen
    other = CandidateStage.find(stale.id)
    other.stage_id = stages[1].id
    other.save!
  end
  stale.stage_id = stages[2].id                            # this one meant Applied -> Onsite
  e = raised { ApplicationRecord.as_actor(ANN) { stale.save! } }
  puts "# #{e.class}" if e
  e.is_a?(ActiveRecord::SerializationFailure) && sqlstate(e) == "40001" && stage_of(456) == stages[1].id
end

check("with Rails' default partial writes the same stale save goes through: the candidate moves from where it stands now") do
  stale = ApplicationRecord.as_actor(ANN) { PartialCandidateStage.find_by!(job_id: 1234, candidate_id: 457) }
  ApplicationRecord.as_actor(ANN) do
    other = CandidateStage.find(stale.id)
    other.stage_id = stages[1].id
    other.save!
  end
  stale.stage_id = stages[2].id
  e = raised { ApplicationRecord.as_actor(ANN) { stale.save! } }
  e.nil? && stage_of(457) == stages[2].id
end

check("the full-row UPDATE sends transition_id (what the stale check reads)") do
  sqls = []
  sub = ActiveSupport::Notifications.subscribe("sql.active_record") { |*, p| sqls << p[:sql] }
  ApplicationRecord.as_actor(ANN) do
    r = CandidateStage.find_by!(job_id: 1234, candidate_id: 458)
    r.stage_id = stages[1].id
    r.save!
  end
  ActiveSupport::Notifications.unsubscribe(sub)
  update = sqls.find { |s| s.start_with?("UPDATE") }
  puts "# #{update}"
  update&.include?('"transition_id" = $') && update.include?('"entered_at" = $')
end

# ---- 3. reload after each save --------------------------------------------
check("a save does not read back what the triggers set (transition_id, entered_at, status): the model is stale") do
  ApplicationRecord.as_actor(ANN) do
    r = CandidateStage.find_by!(job_id: 1234, candidate_id: 459)
    before = r.transition_id
    r.stage_id = stages[3].id                              # Offer: a hired stage
    r.save!
    fresh = CandidateStage.find(r.id)
    r.transition_id == before && fresh.transition_id != before && r.status == "active" && fresh.status == "hired"
  end
end

check("without a reload, the next save of the same model is its own stale write (40001)") do
  e = raised do
    ApplicationRecord.as_actor(ANN) do
      r = CandidateStage.find_by!(job_id: 1234, candidate_id: 458)   # in Screen
      r.stage_id = stages[2].id
      r.save!
      r.status = "rejected"
      r.save!
    end
  end
  sqlstate(e) == "40001" && stage_of(458) == stages[1].id
end

check("with reload after each save, consecutive saves of one model work and the model shows the triggers' values") do
  ApplicationRecord.as_actor(ANN) do
    r = CandidateStage.find_by!(job_id: 1234, candidate_id: 458)
    r.stage_id = stages[2].id
    r.save!
    r.reload
    entered = r.entered_at
    r.status = "rejected"
    r.save!
    r.reload
    latest = conn.select_value("SELECT max(id) FROM stage_transition WHERE job_id = 1234 AND candidate_id = 458")
    [r.stage_id, r.status, r.transition_id, r.visit_transition_id < r.transition_id, r.entered_at == entered] ==
      [stages[2].id, "rejected", latest, true, true]
  end
end

# ---- 4. the "attributes" column -------------------------------------------
check("a plain model of candidate_profile breaks on its column 'attributes' (DangerousAttributeError)") do
  e = raised { ApplicationRecord.as_actor(ANN) { NaiveProfile.new(candidate_id: 1) } }
  puts "# #{e.class}: #{e.message}" if e
  e.is_a?(ActiveRecord::DangerousAttributeError)
end

check("alias_attribute would proxy to ActiveRecord::Base#attributes, not the column") do
  klass = Class.new(ApplicationRecord) do
    self.table_name = "candidate_profile"
    alias_attribute :facts, :attributes
  end
  ApplicationRecord.as_actor(ANN) do
    p = klass.new(candidate_id: 1)
    p.facts.is_a?(Hash) && p.facts.key?("candidate_id")         # the whole row's hash
  end
end

check("ignored_columns + a select alias reads the column, but a save does not write it") do
  klass = Class.new(ApplicationRecord) do
    self.table_name = "candidate_profile"
    self.ignored_columns = ["attributes"]
    attribute :facts, :jsonb
    default_scope { select(arel_table[Arel.star], arel_table[:attributes].as("facts")) }
  end
  ApplicationRecord.as_actor(ANN) do
    conn.execute("INSERT INTO candidate_profile (candidate_id, attributes) VALUES (460, '{\"years\": 1}')")
    p = klass.find_by!(candidate_id: 460)
    read = p.facts
    p.facts = { "years" => 9 }
    p.save!
    stored = JSON.parse(conn.select_value("SELECT attributes::text FROM candidate_profile WHERE candidate_id = 460"))
    read == { "years" => 1 } && stored == { "years" => 1 }
  end
end

check("the facts mapping writes the column on create and update, in one statement each") do
  sqls = []
  sub = ActiveSupport::Notifications.subscribe("sql.active_record") { |*, p| sqls << p[:sql] }
  ApplicationRecord.as_actor(ANN) do
    p = CandidateProfile.create!(candidate_id: 456, facts: { "years" => 2, "location" => "Berlin" })
    p.facts = p.facts.merge("years" => 4)
    p.save!
  end
  ActiveSupport::Notifications.unsubscribe(sub)
  writes = sqls.grep(/\A(INSERT|UPDATE)/)
  stored = ApplicationRecord.as_actor(ANN) { conn.select_value("SELECT attributes::text FROM candidate_profile WHERE candidate_id = 456") }
  writes.size == 2 && writes.all? { |s| s.include?('"attributes"') } && JSON.parse(stored) == { "years" => 4, "location" => "Berlin" }
end

check("the facts mapping reads the column typed (a Hash), and Base#attributes stays Active Record's") do
  ApplicationRecord.as_actor(ANN) do
    p = CandidateProfile.find_by!(candidate_id: 456)
    p.facts == { "years" => 4, "location" => "Berlin" } && p.attributes["candidate_id"] == 456 &&
      p.attributes["attributes"] == p.facts && !p.changed?
  end
end

check("a facts change through the model is dirty-tracked and re-evaluates the alerts (candidate_stage facts)") do
  ApplicationRecord.as_actor(ANN) do
    conn.execute("INSERT INTO alert (stage_id, field_name, operator, value, source, message) " \
                 "VALUES (#{stages[1].id}, 'scorecards', 'gte', '2', 'application', 'two scorecards')")
    r = CandidateStage.find_by!(job_id: 1234, candidate_id: 456)          # in Screen
    r.facts = { "scorecards" => 2 }
    changed = r.changed
    r.save!
    r.reload
    events = conn.select_value("SELECT count(*) FROM alert_event WHERE job_id = 1234 AND candidate_id = 456 AND cause = 'facts'")
    changed == ["attributes"] && r.facts == { "scorecards" => 2 } && events == 1
  end
end

puts "# #{$passed} passed, #{$failed} failed"
exit($failed.zero? ? 0 : 1)
