"""manage.py add_member: the README's way to make users of a database of
your own (setup-db.sh makes none)."""
import io
import uuid

from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import SimpleTestCase
from rest_framework.test import APIClient

from workflows.models import Membership


def add_member(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("add_member", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def api_with(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + token)
    return client


class AddMemberTest(SimpleTestCase):
    databases = {"default"}

    def test_members_of_one_organization_work_together(self):
        org, other = "org-%s" % uuid.uuid4().hex[:8], "org-%s" % uuid.uuid4().hex[:8]
        ann, bea, cid = ("%s-%s" % (n, uuid.uuid4().hex[:8]) for n in ("ann", "bea", "cid"))
        ann_token, said = add_member(ann, org, "--admin", "--password", "s3cret")
        self.assertRegex(ann_token, r"^[0-9a-f]{40}$")
        self.assertIn("created user %s in organization %s (administrator)" % (ann, org), said)
        bea_token, _ = add_member(bea, org)
        cid_token, _ = add_member(cid, other)
        m = Membership.objects.get(user__username=ann)
        self.assertEqual((m.organization, m.is_admin), (org, True))
        self.assertFalse(Membership.objects.get(user__username=bea).is_admin)
        self.assertTrue(User.objects.get(username=ann).check_password("s3cret"))
        self.assertFalse(User.objects.get(username=bea).has_usable_password())
        # the token works, and the membership is the tenant: ann, the organization's
        # administrator, sees bea's workflow; cid, of another organization, does not
        created = api_with(bea_token).post("/workflows/", {"name": "Backend"}, format="json")
        self.assertEqual(created.status_code, 201, created.content)
        wf = created.json()["id"]
        self.assertEqual(api_with(ann_token).get("/workflows/%d/" % wf).status_code, 200)
        self.assertEqual(api_with(cid_token).get("/workflows/%d/" % wf).status_code, 404)
        self.assertEqual(APIClient().get("/workflows/").status_code, 401)
        # again: the same token, the membership as now given
        again, said = add_member(ann, other)
        self.assertEqual(again, ann_token)
        self.assertIn("updated user %s" % ann, said)
        m = Membership.objects.get(user__username=ann)
        self.assertEqual((m.organization, m.is_admin), (other, False))
        self.assertTrue(User.objects.get(username=ann).check_password("s3cret"))   # kept
        self.assertEqual(api_with(ann_token).get("/workflows/%d/" % wf).status_code, 404)

    def test_empty_names_are_refused(self):
        with self.assertRaises(CommandError):
            add_member("", "acme")
        with self.assertRaises(CommandError):
            add_member("zed-%s" % uuid.uuid4().hex[:8], " ")
