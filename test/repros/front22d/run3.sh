#!/bin/bash
S=/tmp/attack-front22d-scale/sock
cd /tmp/front22d
psql -X -h $S -p 6610 -U postgres -d wf -v sock=$S -f 01_job_tenant_shortcut_bypassrls.sql 2>&1
psql -X -h $S -p 6610 -U app -d wf -f 02_job_candidates_ignores_tenant_admin.sql 2>&1
