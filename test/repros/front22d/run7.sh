#!/bin/bash
S=/tmp/attack-front22d-scale/sock
cd /tmp/front22d
psql -X -h $S -p 6610 -U postgres -d wf -f 01_job_tenant_shortcut_bypassrls.sql >/dev/null 2>&1
psql -X -h $S -p 6610 -U postgres -d wf -f 03_move_type_mismatch_after_commit.sql 2>&1 | grep -v "?column\|^ t$\|^(1 row)\|^---\|^$"
