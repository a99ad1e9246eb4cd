#!/usr/bin/env bash
# Checks what a release is made of, without a server: the version is the same in
# workflow_ext.control (the one source), META.json, debian/changelog and
# CHANGELOG.md; META.json has what the PGXN meta spec 1.0.0 requires; an upgrade
# path leads from every shipped install script to the current version; and
# make dist builds the PGXN zip with META.json at its top.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
bad() { echo "not ok - $*"; fail=1; }
okay() { echo "ok - $*"; }

version=$(sed -n "s/^default_version *= *'\(.*\)'/\1/p" workflow_ext.control)
[ -n "$version" ] && okay "workflow_ext.control: default_version $version" || bad "no default_version in workflow_ext.control"

python3 - "$version" <<'PY' || fail=1
import json, re, sys
version = sys.argv[1]
m = json.load(open("META.json"))
errors = []
for key in ("name", "abstract", "version", "maintainer", "license", "provides", "meta-spec"):
    if key not in m:
        errors.append("META.json lacks the required key %r" % key)
semver = re.compile(r"^\d+\.\d+\.\d+(-[0-9A-Za-z-]+)?$")
if m.get("version") != version:
    errors.append("META.json version %r, control file %r" % (m.get("version"), version))
if not semver.match(str(m.get("version", ""))):
    errors.append("META.json version is not semver")
if m.get("meta-spec", {}).get("version") != "1.0.0":
    errors.append("meta-spec version must be 1.0.0")
if m.get("license") not in ("postgresql",):
    errors.append("license should be 'postgresql' (LICENSE is the PostgreSQL License)")
for ext, p in m.get("provides", {}).items():
    for key in ("file", "version"):
        if key not in p:
            errors.append("provides.%s lacks %r" % (ext, key))
    if p.get("version") != version:
        errors.append("provides.%s.version %r, control file %r" % (ext, p.get("version"), version))
pg = m.get("prereqs", {}).get("runtime", {}).get("requires", {}).get("PostgreSQL")
if pg != "15.0.0":
    errors.append("prereqs.runtime.requires.PostgreSQL should be 15.0.0, is %r" % pg)
if m.get("release_status", "stable") not in ("stable", "testing", "unstable"):
    errors.append("release_status must be stable, testing or unstable")
for e in errors:
    print("not ok -", e)
if errors:
    sys.exit(1)
print("ok - META.json: required keys, versions %s, license postgresql, PostgreSQL >= 15" % version)
PY

deb=$(dpkg-parsechangelog -l debian/changelog -S Version)
[ "${deb%-*}" = "$version" ] && okay "debian/changelog: $deb" || bad "debian/changelog is $deb, control file $version"
grep -q "^## \[\?$version\]\?" CHANGELOG.md && okay "CHANGELOG.md has $version" || bad "CHANGELOG.md has no '## $version' section"

# Every earlier install script reaches the current version through upgrade scripts.
for f in sql/workflow_ext--*.sql; do
  b=${f#sql/workflow_ext--}; b=${b%.sql}
  case $b in *--*) continue ;; esac
  v=$b
  while [ "$v" != "$version" ]; do
    # a shipped update, or the one to the current version (sql/update/, assembled by make)
    next=$(ls sql/workflow_ext--"$v"--*.sql sql/update/"$v"--*.sql 2>/dev/null | head -1 || true)
    [ -n "$next" ] || break
    v=${next##*--}; v=${v%.sql}
  done
  [ "$v" = "$version" ] && okay "upgrade path from $b to $version" || bad "no upgrade path from $b to $version"
done

# make dist: the PGXN zip, with META.json at the top of its one directory.
if git rev-parse --git-dir >/dev/null 2>&1; then
  zip="workflow_ext-$version.zip"
  rm -f "$zip"
  if make -s dist PG_CONFIG="${PG_CONFIG:-pg_config}" && [[ $(unzip -l "$zip") == *" workflow_ext-$version/META.json"* ]]; then
    okay "make dist: $zip with META.json"
  else
    bad "make dist made no $zip with workflow_ext-$version/META.json"
  fi
  rm -f "$zip"
fi
# The application grant set is written once, in the README; the copies that
# cannot read it (isolation specs, the example, the clients' set-up) must say
# the same GRANTs, whatever role they give them to.
grants() {   # the GRANT statements of a file, one per line, role and schema names left out
  tr '\n' ' ' < "$1" | grep -oE 'GRANT [^;]*;' | grep -v 'ON SCHEMA' | grep -v 'GRANT [a-z_]* TO' |
    sed -E 's/ TO [^;]*;/;/; s/[[:space:]]+/ /g' | sort
}
readme_grants=$(sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md > "${TMPDIR:-/tmp}/wf_grants.$$" && grants "${TMPDIR:-/tmp}/wf_grants.$$")
rm -f "${TMPDIR:-/tmp}/wf_grants.$$"
for copy in examples/app-grants.sql clients/common/app-database.sql test/specs/tenant_isolation.spec test/specs/facts_lock_order.spec test/specs/funnel_compaction.spec; do
  if [ -n "$readme_grants" ] && [ "$(grants "$copy")" = "$readme_grants" ]; then
    okay "$copy grants what the README's application grant set grants"
  else
    bad "$copy differs from the README's application grant set: $(diff <(echo "$readme_grants") <(grants "$copy") | tr '\n' ' ')"
  fi
done
# examples/app-grants.sql holds the README's block verbatim (the schema line too),
# and the examples that act as the application run it.
if diff <(sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' README.md) \
        <(sed -n '/^-- BEGIN application grant set$/,/^-- END application grant set$/p' examples/app-grants.sql) >/dev/null &&
   grep -q '^-- BEGIN application grant set$' examples/app-grants.sql; then
  okay "examples/app-grants.sql is the README's application grant set, verbatim"
else
  bad "examples/app-grants.sql differs from the README's application grant set (copy the lines between the markers)"
fi
for ex in examples/demo.sql examples/team.sql; do
  grep -q '^\\ir app-grants.sql$' "$ex" && okay "$ex runs examples/app-grants.sql" || bad "$ex does not run examples/app-grants.sql"
done
exit $fail
