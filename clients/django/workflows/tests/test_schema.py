"""The OpenAPI schema at /schema/ is DRF's own generation of the real routes:
every route of the URLconf (walked independently) is in it with exactly the
methods the route answers."""
import yaml
from django.test import SimpleTestCase
from rest_framework.test import APIClient

from .routes import api_routes


class Schema(SimpleTestCase):
    databases = {"default"}

    def test_every_route_is_in_the_schema_with_its_methods(self):
        response = APIClient().get("/schema/")
        self.assertEqual(response.status_code, 200)
        schema = yaml.safe_load(response.content)
        self.assertEqual(schema["openapi"][:2], "3.")
        paths = schema["paths"]
        routes = api_routes()
        self.assertGreater(len(routes), 40)
        # DRF names a model viewset's {pk} after the model's primary key, {id}
        routes = {path.replace("{pk}", "{id}"): value for path, value in routes.items()}
        for path, (callback, methods) in routes.items():
            self.assertIn(path, paths, path)
            self.assertEqual(sorted(m for m in paths[path] if m in ("get", "post", "put", "patch", "delete")),
                             methods, path)
        self.assertEqual(set(paths), set(routes))           # nothing the URLconf does not serve

    def test_json_too(self):
        response = APIClient().get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        self.assertEqual(response.status_code, 200)
        self.assertIn("/jobs/{job_id}/pipeline/", response.json()["paths"])
