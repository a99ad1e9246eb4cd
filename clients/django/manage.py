#!/usr/bin/python3
"""Django's command-line utility for the workflow_ext REST API."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wfapi.settings")
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
