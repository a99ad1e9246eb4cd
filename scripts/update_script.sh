#!/bin/sh
# update_script.sh SOURCE > OUT: assembles an update script from its
# hand-written part (sql/update/A--B.sql: what moves the data) and the current
# install script's parts (sql/install/), so that what an update builds anew is
# the install script's text itself and never drifts from it.  Directives, each
# alone on a line of SOURCE:
#   -- @install PART          sql/install/PART.sql, functions and procedures as
#                             CREATE OR REPLACE (objects of the database's own
#                             that call them keep working)
#   -- @install PART:tables   the lines of PART before its first CREATE TYPE,
#                             as they are (the tables, for templates)
#   -- @install PART:rest     the lines of PART after that CREATE TYPE
#                             statement, functions as CREATE OR REPLACE
#   -- @install PART:new T... the CREATE TABLE of each table T, with its
#                             COMMENTs and CREATE INDEXes (tables new in B)
set -eu
src=$1
dir=$(dirname "$0")/../sql/install
awk -v dir="$dir" '
function replace_create(line) {
    sub(/^CREATE FUNCTION/, "CREATE OR REPLACE FUNCTION", line)
    sub(/^CREATE PROCEDURE/, "CREATE OR REPLACE PROCEDURE", line)
    return line
}
function emit(file, mode, tables,    line, state, n, t, i, want, intable) {
    if ((getline line < file) < 0) { print "update_script.sh: cannot read " file > "/dev/stderr"; exit 1 }
    state = "before"
    do {
        if (mode == "all") print replace_create(line)
        else if (mode == "tables") {
            if (line ~ /^CREATE TYPE /) break
            print line
        } else if (mode == "rest") {
            if (state == "before" && line ~ /^CREATE TYPE /) state = "type"
            else if (state == "type" && line ~ /^\);/) state = "after"
            else if (state == "after") print replace_create(line)
        } else if (mode == "new") {
            n = split(tables, t, " ")
            want = 0
            for (i = 1; i <= n; i++) {
                if (line ~ ("^CREATE TABLE " t[i] " \\(")) intable = 1
                if (line ~ ("^COMMENT ON (TABLE|COLUMN) " t[i] "[ .]") ||
                    line ~ ("^CREATE (UNIQUE )?INDEX [a-z_0-9]+ ON " t[i] " ")) want = 1
            }
            if (intable || want) print line
            if (intable && line ~ /^\);/) { intable = 0 }
        }
    } while ((getline line < file) > 0)
    close(file)
}
/^-- @install / {
    spec = $3; mode = "all"; tables = ""
    if (index(spec, ":")) { mode = substr(spec, index(spec, ":") + 1); spec = substr(spec, 1, index(spec, ":") - 1) }
    for (i = 4; i <= NF; i++) tables = tables " " $i
    if (mode != "all" && mode != "tables" && mode != "rest" && mode != "new") {
        print "update_script.sh: unknown directive: " $0 > "/dev/stderr"; exit 1
    }
    emit(dir "/" spec ".sql", mode, tables)
    next
}
{ print }
' "$src"
