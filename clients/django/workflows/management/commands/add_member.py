"""manage.py add_member USERNAME ORGANIZATION [--admin] [--password PASSWORD]:
a user of the API on a database of your own (setup-db.sh makes none).  Creates
the Django user (or takes the existing one), its DRF token and its Membership
in ORGANIZATION (the tenant 'org:<organization>'; --admin makes it an
administrator of it: workflow_ext.tenant_admin), and prints the token.  Without
--password the user has no usable password (token only: no login page, no
board); run again with --password to set one.  Run again for an existing user,
it moves the membership to ORGANIZATION and sets is_admin as given (without
--admin: not an administrator), keeping the token."""
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from workflows.models import Membership


class Command(BaseCommand):
    help = ("Create (or update) a user, its API token and its membership of ORGANIZATION; "
            "prints the token.")

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("organization")
        parser.add_argument("--admin", action="store_true",
                            help="an administrator of the organization (workflow_ext.tenant_admin)")
        parser.add_argument("--password", help="a password for the login page and the board")

    def handle(self, *args, username, organization, admin, password, **options):
        if not username.strip() or not organization.strip():
            raise CommandError("USERNAME and ORGANIZATION must not be empty")
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if password is not None:
                user.set_password(password)
            elif created:
                user.set_unusable_password()
            user.save()
            token, _ = Token.objects.get_or_create(user=user)
            Membership.objects.update_or_create(
                user=user, defaults={"organization": organization, "is_admin": admin})
        self.stderr.write("%s user %s in organization %s%s" % (
            "created" if created else "updated", username, organization,
            " (administrator)" if admin else ""))
        self.stdout.write(token.key)
