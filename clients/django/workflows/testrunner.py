"""Runs the tests against the database the settings name, which
clients/django/setup-db.sh prepared as a superuser (the extension, the
application role, Django's tables): the application role may not create
databases or extensions, so no test database is made.  Tests commit for real
(the extension's deferred constraints and NOTIFY act at commit) and keep
apart by creating their own users, workflows and job ids.  Ends with
"# N passed, M failed" for test.sh."""
from django.test.runner import DiscoverRunner


class ExistingDatabaseRunner(DiscoverRunner):
    def setup_databases(self, **kwargs):
        return None

    def teardown_databases(self, old_config, **kwargs):
        pass

    def suite_result(self, suite, result, **kwargs):
        bad = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
        print("# %d passed, %d failed" % (result.testsRun - bad - len(result.skipped), bad))
        return super().suite_result(suite, result, **kwargs)
