"""Two builds of workflow_ext.so measured in one cluster (bench/facts_ab.py,
bench/move_ab.py): the library file swapped under the installation PG_CONFIG
names (each new session loads the one in place), and the backend's own CPU
time read around a measured statement (utime + stime of /proc/self/stat, in
clock ticks: what another process's load on the machine does not add).
"""
import os
import re
import shutil
import subprocess

LIBDIR = subprocess.run([os.environ.get("PG_CONFIG", "pg_config"), "--pkglibdir"],
                        capture_output=True, text=True, check=True).stdout.strip()
TARGET = os.path.join(LIBDIR, "workflow_ext.so")

# psql lines printing the backend's /proc/self/stat (read as the superuser, then back to ROLE)
CPU = "SET ROLE NONE; SELECT 'cpu ' || pg_read_file('/proc/self/stat'); SET ROLE %s;"


def swap_in(lib):
    """Puts build LIB in place, atomically (a session starting meanwhile loads one or the other)."""
    tmp = TARGET + ".swap"
    shutil.copyfile(lib, tmp)
    os.replace(tmp, TARGET)


def cpu_ms(psql_output):
    """The backend CPU in ms between the first and the last CPU line of a psql output."""
    ticks = []
    for stat in re.findall(r"^cpu (.*)$", psql_output, re.M):
        fields = stat.rsplit(")", 1)[1].split()
        ticks.append(int(fields[11]) + int(fields[12]))     # utime, stime (fields 14, 15)
    return (ticks[-1] - ticks[0]) * 1000.0 / os.sysconf("SC_CLK_TCK")
