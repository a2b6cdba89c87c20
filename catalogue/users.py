"""Local accounts and signed-in sessions for the web catalogue.

Passwords are hashed with Argon2id (argon2-cffi); a session is a random token whose SHA-256 is
stored, so a copy of the catalogue file does not hand out live sessions. Each session carries its
own CSRF token, which every form that writes must send back.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from catalogue.db import Catalogue
from catalogue.errors import CatalogueError
from catalogue.models import User, WebSession, utcnow

SESSION_HOURS = 8
MIN_PASSWORD_LENGTH = 10
USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


class AuthenticationFailed(CatalogueError):
    """Wrong name or password (deliberately not saying which)."""


@dataclass(frozen=True)
class SignedIn:
    user: str
    csrf_token: str
    expires_at: datetime


def _hasher():
    from argon2 import PasswordHasher  # imported here: only the web and `users add` need it

    return PasswordHasher()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_user(catalogue: Catalogue, name: str, password: str) -> None:
    """Create a local account. Raises CatalogueError for a bad name, short password or duplicate."""
    if not USER_NAME.match(name):
        raise CatalogueError(
            f"user name {name!r} must be 1-64 letters, digits or . _ @ - (starting with one "
            "letter or digit)"
        )
    if len(password) < MIN_PASSWORD_LENGTH:
        raise CatalogueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    with catalogue.writing() as session:
        if session.exec(select(User.id).where(User.name == name)).first() is not None:
            raise CatalogueError(f"user {name!r} already exists")
        session.add(User(name=name, password_hash=_hasher().hash(password)))


def list_users(catalogue: Catalogue) -> list[str]:
    with catalogue.session() as session:
        return list(session.exec(select(User.name).order_by(User.name)).scalars())


def sign_in(
    catalogue: Catalogue, name: str, password: str, hours: float = SESSION_HOURS
) -> tuple[str, SignedIn]:
    """Check a password and open a session. Returns (cookie token, session)."""
    from argon2.exceptions import VerificationError

    hasher = _hasher()
    with catalogue.writing() as session:
        user = session.exec(select(User).where(User.name == name)).scalars().first()
        stored = user.password_hash if user and not user.disabled else _DUMMY_HASH.get(hasher)
        try:
            hasher.verify(stored, password)
        except VerificationError:
            raise AuthenticationFailed("wrong user name or password") from None
        if user is None or user.disabled:
            raise AuthenticationFailed("wrong user name or password")
        token = secrets.token_urlsafe(32)
        expires = utcnow() + timedelta(hours=hours)
        web_session = WebSession(
            token_hash=_token_hash(token),
            user_id=user.id,
            csrf_token=secrets.token_urlsafe(32),
            expires_at=expires,
        )
        session.add(web_session)
        session.execute(delete(WebSession).where(WebSession.expires_at < utcnow()))
        return token, SignedIn(user.name, web_session.csrf_token, expires)


def signed_in(catalogue: Catalogue, token: str | None) -> SignedIn | None:
    """The live session for a cookie token, or None (unknown, expired or disabled user)."""
    if not token:
        return None
    with catalogue.session() as session:
        row = session.exec(
            select(WebSession, User)
            .join(User, User.id == WebSession.user_id)
            .where(WebSession.token_hash == _token_hash(token))
        ).first()
    if row is None:
        return None
    web_session, user = row
    if user.disabled or _aware(web_session.expires_at) <= utcnow():
        return None
    return SignedIn(user.name, web_session.csrf_token, _aware(web_session.expires_at))


def sign_out(catalogue: Catalogue, token: str | None) -> None:
    if not token:
        return
    with catalogue.writing() as session:
        session.execute(delete(WebSession).where(WebSession.token_hash == _token_hash(token)))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class _DummyHash:
    """A hash to verify against when the user does not exist, so timing does not tell."""

    def __init__(self) -> None:
        self._value: str | None = None

    def get(self, hasher) -> str:
        if self._value is None:
            self._value = hasher.hash(secrets.token_urlsafe(16))
        return self._value


_DUMMY_HASH = _DummyHash()
