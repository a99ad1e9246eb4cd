"""The API as a WSGI application, for a WSGI server (gunicorn wfapi.wsgi,
uwsgi, mod_wsgi) run from clients/django with the settings' environment."""
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wfapi.settings")
application = get_wsgi_application()
