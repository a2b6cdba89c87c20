"""Who is signed in, and the checks every writing request passes: a session and its CSRF token.

The session cookie is HttpOnly and SameSite=Lax (Secure when served over HTTPS); the CSRF token
is per session and compared in constant time. Login itself is protected by a double-submit
token, so another site cannot sign a visitor in to an account of its choosing.
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request, Response

from catalogue.users import SignedIn, signed_in

SESSION_COOKIE = "edcat_session"
LOGIN_COOKIE = "edcat_login_csrf"


def current_user(request: Request) -> SignedIn | None:
    if not hasattr(request.state, "signed_in"):
        token = request.cookies.get(SESSION_COOKIE)
        request.state.signed_in = signed_in(request.app.state.catalogue, token)
    return request.state.signed_in


def require_user(request: Request, csrf_token: str | None) -> SignedIn:
    """The signed-in user of a writing request, after checking its CSRF token."""
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in to make changes")
    if not csrf_token or not secrets.compare_digest(csrf_token, user.csrf_token):
        raise HTTPException(status_code=403, detail="the form's CSRF token is missing or wrong")
    return user


def set_session_cookie(request: Request, response: Response, token: str, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        path="/",
    )


def login_token(request: Request) -> str:
    """The double-submit token for the login form: the visitor's cookie, or a new one."""
    return request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)


def set_login_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=request.app.state.settings.secure_cookies,
        path="/login",
    )


def check_login_token(request: Request, sent: str | None) -> None:
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not sent or not secrets.compare_digest(expected, sent):
        raise HTTPException(status_code=403, detail="the login form's token is missing or wrong")
