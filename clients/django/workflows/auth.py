"""Credentials PostgreSQL cannot compare: a NUL character in a token (the
Authorization header) or in the session cookie (Django unquotes "\\000" in a
quoted cookie value) made the credential's lookup raise psycopg2's ValueError
("A string literal cannot contain NUL"), a 500 on every route before any
view ran.  Such a token is an invalid token (401 authentication_failed), such
a session key no session (the request is anonymous)."""
from django.contrib.sessions.backends import db
from rest_framework import authentication, exceptions


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        if "\x00" in key:
            raise exceptions.AuthenticationFailed("Invalid token.")
        return super().authenticate_credentials(key)


class SessionStore(db.SessionStore):
    """SESSION_ENGINE "workflows.auth": Django's database sessions, a key with a NUL no key."""

    def _validate_session_key(self, key):
        return super()._validate_session_key(key) and "\x00" not in key
