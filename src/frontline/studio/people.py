"""Annotator accounts that can log in to the browser (``frontline studio add-annotator``).

Label Studio 1.23's user API (``POST /api/users/``) creates an account in the admin's
organization but ignores the password it is sent, so such an account can never log in. An
annotator's account is therefore made the way Label Studio's own invitation link makes one:
the admin token fetches the organization's invite token (``GET /api/invite``) and the account
signs up on ``/user/signup/?token=...`` (which works while signup without a link is disabled)
with a generated password. The signup joins the account to the organization, so it sees the
projects. Then the account logs in once through ``/user/login/`` (which refuses an inactive
user) and the admin token checks it is listed among the organization's members.

The password is written once to ``<state>/annotators/<email>.password`` (mode 0600, in the
private state folder) before the account is made, and is never printed unless asked for.
"""

from __future__ import annotations

import re
import secrets
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from frontline.errors import FrontlineError

FOLDER = "annotators"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class PeopleError(FrontlineError):
    """An annotator account could not be made or checked."""


def password_file(state: Path, email: str) -> Path:
    """Where the password of annotator ``email`` is kept:
    ``<state>/annotators/<email>.password``."""
    return state / FOLDER / f"{email}.password"


def check_email(email: str) -> str:
    """``email`` as Label Studio stores it (lower case); :class:`PeopleError` unless it looks
    like one."""
    if not _EMAIL.fullmatch(email) or ".." in email:
        raise PeopleError(
            f"{email!r} is not an email address an annotator can log in with (like ann@example.org)"
        )
    return email.lower()


@dataclass(frozen=True)
class Account:
    user_id: int
    email: str
    created: bool
    password_file: Path  # may not exist for an account frontline did not create

    def __repr__(self) -> str:
        return f"Account(user_id={self.user_id}, email={self.email!r}, created={self.created})"


class _Browser:
    """A cookie-keeping HTTP session that fills Label Studio's forms as a browser does
    (redirects are not followed: a 302 answers the form); closed on leaving ``with``."""

    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.client = httpx.Client(timeout=timeout)

    def __enter__(self) -> _Browser:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> tuple[int, str, str]:
        """(status, Location header, body) of a request."""
        try:
            response = self.client.request(method, self.url + path, **kwargs)
        except httpx.HTTPError as exc:  # a refused or lost connection, a timeout
            raise _lost(self.url, exc) from None
        return response.status_code, response.headers.get("Location", ""), response.text

    def get(self, path: str) -> tuple[int, str, str]:
        return self._send("GET", path)

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """GET the form's page (for the CSRF cookie), then POST ``fields`` to it."""
        self.get(path)
        csrf = next((c.value for c in self.client.cookies.jar if c.name == "csrftoken"), "")
        return self._send(
            "POST",
            path,
            data={"csrfmiddlewaretoken": csrf, **fields},
            headers={"Referer": self.url + path, "X-CSRFToken": csrf},
        )


def _shown(url: str) -> str:
    """``url`` without a password or token in it."""
    from frontline.studio.client import redact

    return redact(url.rstrip("/"))


def _lost(url: str, exc: Exception) -> PeopleError:
    return PeopleError(
        f"lost the connection to Label Studio at {_shown(url)} ({exc}): start it and run this again"
    )


def _api(url: str, token: str, path: str) -> object:
    try:
        response = httpx.get(
            url.rstrip("/") + path,
            headers={"Authorization": f"Token {token}"},
            timeout=60,
            follow_redirects=True,
        )
    except httpx.HTTPError as exc:
        raise _lost(url, exc) from None
    if response.is_error:
        raise PeopleError(
            f"Label Studio answered {path} with HTTP {response.status_code}: check the API token"
        )
    return response.json()


def members(url: str, token: str) -> dict[str, dict]:
    """The accounts of the token's organization by (lower-case) email (``GET /api/users/``)."""
    users = _api(url, token, "/api/users/")
    users = users.get("results", []) if isinstance(users, dict) else users
    return {str(u.get("email", "")).lower(): u for u in users}


def can_log_in(url: str, email: str, password: str) -> bool:
    """Whether ``email`` and ``password`` log in through the browser's login page (Label Studio
    refuses an inactive account there with the same page as a wrong password)."""
    with _Browser(url) as browser:
        status, location, _ = browser.post_form(
            "/user/login/", {"email": email, "password": password}
        )
    return status == 302 and "/user/login" not in location


def add_annotator(url: str, token: str, state: Path, email: str) -> Account:
    """Make annotator ``email`` an account of the admin's organization that can log in, with a
    generated password written to :func:`password_file`; an existing account is left as it
    is."""
    email = check_email(email)
    path = password_file(state, email)
    known = members(url, token)
    if email in known:
        return Account(known[email]["id"], email, False, path)
    me = _api(url, token, "/api/current-user/whoami")
    invite_token = _invite_token(url, token)
    password = _new_password(state, path, email)
    user = _sign_up(url, token, invite_token, email, password, path)
    org = me.get("active_organization") if isinstance(me, dict) else None
    if org is not None and user.get("active_organization") not in (None, org):
        raise PeopleError(
            f"{email} joined organization {user.get('active_organization')}, not the admin's "
            f"({org})"
        )
    if not can_log_in(url, email, password):
        raise PeopleError(
            f"the account {email} was made but cannot log in at {_shown(url)}/user/login/ (is it "
            "inactive?)"
        )
    return Account(user["id"], email, True, path)


def _invite_token(url: str, token: str) -> str:
    """The organization's invitation token (``GET /api/invite``)."""
    invite = _api(url, token, "/api/invite")
    invite_token = invite.get("token") if isinstance(invite, dict) else None
    if not invite_token:
        raise PeopleError(
            "Label Studio gave no invitation token (GET /api/invite): this token cannot invite "
            "people"
        )
    return str(invite_token)


def _new_password(state: Path, path: Path, email: str) -> str:
    """A generated password for ``email``, written to ``path`` (in the private ``state``
    folder) before the account is made; :class:`PeopleError` if ``path`` exists already."""
    from frontline.studio.service import (  # the state folder's rules
        _write_private,
        private_folder,
    )

    private_folder(state)
    private_folder(path.parent)
    if path.exists():
        raise PeopleError(
            f"{path} exists but the server has no account {email}: it belongs to an account on "
            "another server or one that was deleted; move it away and run this again"
        )
    password = secrets.token_urlsafe(18)
    _write_private(path, password + "\n")
    return password


def _sign_up(
    url: str, token: str, invite_token: str, email: str, password: str, path: Path
) -> dict:
    """Sign ``email`` up through the invitation link and return its member record; on any
    failure the password file at ``path`` is removed unless the account may exist."""
    try:
        with _Browser(url) as browser:
            status, _, body = browser.post_form(
                f"/user/signup/?token={urllib.parse.quote(invite_token)}",
                {"email": email, "password": password},
            )
        if status != 302:
            found = re.findall(r'class="[^"]*error[^"]*"[^>]*>\s*([^<]+?)\s*<', body)
            why = "; ".join(dict.fromkeys(found)) or f"HTTP {status}"
            raise PeopleError(f"Label Studio refused the signup of {email}: {why}")
        known = members(url, token)
        if email not in known:
            raise PeopleError(
                f"{email} signed up but is not a member of the organization of the admin token"
            )
    except BaseException:
        try:
            made = email in members(url, token)
        # cannot tell: keep the password of an account that may exist
        except Exception:  # noqa: BLE001
            made = True
        if not made:
            path.unlink(missing_ok=True)
        raise
    return known[email]
