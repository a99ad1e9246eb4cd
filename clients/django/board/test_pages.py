"""The board's pages (Django's test client; the browser test is
board/tests/board.browser.js): login required, the page carries its job id
and its scripts, the static files are found."""
import uuid

from django.contrib.auth.models import User
from django.contrib.staticfiles import finders
from django.test import Client, TestCase


class BoardPagesTest(TestCase):
    def setUp(self):
        self.user = User.objects.create_user("board-%s" % uuid.uuid4().hex[:10], password="pw")
        self.client = Client()

    def test_anonymous_is_sent_to_drf_login(self):
        for path in ("/board/", "/jobs/1234/board/"):
            response = self.client.get(path)
            self.assertEqual(response.status_code, 302, path)
            self.assertEqual(response["Location"], "/api-auth/login/?next=" + path)

    def test_drf_login_page_renders(self):
        response = self.client.get("/api-auth/login/?next=/board/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'name="next" value="/board/"')

    def test_index_page(self):
        self.client.force_login(self.user)
        response = self.client.get("/board/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "/static/board/api.js")
        self.assertContains(response, "/static/board/index.js")
        self.assertIn("csrftoken", response.cookies)        # for the board's POSTs

    def test_board_page_carries_the_job(self):
        self.client.force_login(self.user)
        response = self.client.get("/jobs/9223372036854775807/board/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, 'data-job-id="9223372036854775807"')
        for script in ("api.js", "words.js", "board.js"):
            self.assertContains(response, "/static/board/" + script)
        self.assertIn("csrftoken", response.cookies)

    def test_non_numeric_job_is_no_route(self):
        self.client.force_login(self.user)
        self.assertEqual(self.client.get("/jobs/abc/board/").status_code, 404)

    def test_static_files_are_found(self):
        for name in ("api.js", "words.js", "board.js", "index.js", "board.css"):
            self.assertIsNotNone(finders.find("board/" + name), name)
