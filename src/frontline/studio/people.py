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

import http.cookiejar
import json
import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from frontline.errors import FrontlineError

FOLDER = "annotators"
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


class PeopleError(FrontlineError):
    """An annotator account could not be made or checked."""


def password_file(state: Path, email: str) -> Path:
    """Where the password of annotator ``email`` is kept: ``<state>/annotators/<email>.password``."""
    return state / FOLDER / f"{email}.password"


def check_email(email: str) -> str:
    """``email`` as Label Studio stores it (lower case); :class:`PeopleError` unless it looks like one."""
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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a 302 answers the form: keep it
        return None


class _Browser:
    """A cookie-keeping HTTP session that fills Label Studio's forms as a browser does."""

    def __init__(self, url: str, timeout: float = 60.0):
        self.url, self.timeout = url.rstrip("/"), timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect
        )

    def _open(self, request: urllib.request.Request) -> tuple[int, str, str]:
        """(status, Location header, body) of a request; redirects are not followed."""
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return (
                    response.status,
                    response.headers.get("Location", ""),
                    response.read().decode("utf-8", "replace"),
                )
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", ""), exc.read().decode("utf-8", "replace")
        except OSError as exc:  # URLError, a lost connection, a timeout
            raise PeopleError(
                f"lost the connection to Label Studio at {_shown(self.url)} ({exc}): start it and "
                "run this again"
            ) from None

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(self.url + path))

    def post_form(self, path: str, fields: dict[str, str]) -> tuple[int, str, str]:
        """GET the form's page (for the CSRF cookie), then POST ``fields`` to it."""
        self.get(path)
        csrf = next((c.value for c in self.cookies if c.name == "csrftoken"), "")
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": csrf, **fields}).encode()
        return self._open(
            urllib.request.Request(
                self.url + path,
                data=body,
                method="POST",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Referer": self.url + path,
                    "X-CSRFToken": csrf,
                },
            )
        )


def _shown(url: str) -> str:
    """``url`` without a password or token in it."""
    from frontline.studio.client import redact

    return redact(url.rstrip("/"))


def _api(url: str, token: str, path: str) -> object:
    request = urllib.request.Request(
        url.rstrip("/") + path, headers={"Authorization": f"Token {token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise PeopleError(
            f"Label Studio answered {path} with HTTP {exc.code}: check the API token"
        ) from None
    except OSError as exc:
        raise PeopleError(
            f"lost the connection to Label Studio at {_shown(url)} ({exc}): start it and run this "
            "again"
        ) from None


def members(url: str, token: str) -> dict[str, dict]:
    """The accounts of the token's organization by (lower-case) email (``GET /api/users/``)."""
    users = _api(url, token, "/api/users/")
    users = users.get("results", []) if isinstance(users, dict) else users
    return {str(u.get("email", "")).lower(): u for u in users}


def can_log_in(url: str, email: str, password: str) -> bool:
    """Whether ``email`` and ``password`` log in through the browser's login page (Label Studio
    refuses an inactive account there with the same page as a wrong password)."""
    status, location, _ = _Browser(url).post_form(
        "/user/login/", {"email": email, "password": password}
    )
    return status == 302 and "/user/login" not in location


def add_annotator(url: str, token: str, state: Path, email: str) -> Account:
    """Make annotator ``email`` an account of the admin's organization that can log in, with a
    generated password written to :func:`password_file`; an existing account is left as it is."""
    email = check_email(email)
    path = password_file(state, email)
    known = members(url, token)
    if email in known:
        return Account(known[email]["id"], email, False, path)
    me = _api(url, token, "/api/current-user/whoami")
    invite = _api(url, token, "/api/invite")
    invite_token = invite.get("token") if isinstance(invite, dict) else None
    if not invite_token:
        raise PeopleError(
            "Label Studio gave no invitation token (GET /api/invite): this token cannot invite people"
        )

    from frontline.studio.service import (  # the state folder's rules
        _write_private,
        private_folder,
    )

    private_folder(state)
    private_folder(path.parent)
    if path.exists():
        raise PeopleError(
            f"{path} exists but the server has no account {email}: it belongs to an account on another "
            "server or one that was deleted; move it away and run this again"
        )
    password = secrets.token_urlsafe(18)
    _write_private(path, password + "\n")
    try:
        status, _, body = _Browser(url).post_form(
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
        except Exception:  # noqa: BLE001 - cannot tell: keep the password of an account that may exist
            made = True
        if not made:
            path.unlink(missing_ok=True)
        raise
    user = known[email]
    org = me.get("active_organization") if isinstance(me, dict) else None
    if org is not None and user.get("active_organization") not in (None, org):
        raise PeopleError(
            f"{email} joined organization {user.get('active_organization')}, not the admin's ({org})"
        )
    if not can_log_in(url, email, password):
        raise PeopleError(
            f"the account {email} was made but cannot log in at {_shown(url)}/user/login/ (is it "
            "inactive?)"
        )
    return Account(user["id"], email, True, path)
