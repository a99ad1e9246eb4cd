from django.test import SimpleTestCase

from .helpers import client_for, make_user


class Smoke(SimpleTestCase):
    databases = {"default"}

    def test_create_and_list(self):
        ann = make_user("ann")
        c = client_for(ann)
        r = c.post("/workflows/", {"name": "Backend"}, format="json")
        print(r.status_code, r.json())
        r = c.get("/workflows/")
        print(r.status_code, r.json())
