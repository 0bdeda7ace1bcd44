"""``frontline publish``: push ``corpus/`` to the Hugging Face Hub as a dataset repository.

The token comes from ``HF_TOKEN`` (or the file ``hf auth login`` writes), never from the repo.
Everything is checked locally before the first request: the corpus is built (its card names
data files that exist), the repository id is ``ORG/NAME``, and a token is there and shaped like
one (``hf_`` and at least 30 letters or digits). Every failure, the Hub's HTTP errors and a
network out of reach included, is a :class:`PublishError` of one line that never holds the token.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import httpx2
import yaml
from huggingface_hub import HfApi
from huggingface_hub import constants as hub_constants
from huggingface_hub.errors import HfHubHTTPError, HFValidationError
from huggingface_hub.utils import validate_repo_id

from frontline.errors import FrontlineError

TOKEN_SHAPE = re.compile(r"hf_[A-Za-z0-9]{30,}")
TOKENS_PAGE = "https://huggingface.co/settings/tokens"


class PublishError(FrontlineError):
    """The corpus cannot be published: not built, no usable token, or the Hub refused or was out
    of reach."""


def publishable_files(corpus: Path) -> list[str]:
    """The files that would be uploaded; :class:`PublishError` if the card or a data file is
    missing."""
    card = corpus / "README.md"
    if not card.exists():
        raise PublishError(f"{card} is missing: run `frontline build` first")
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise PublishError(f"{card} has no YAML header")
    try:
        meta = yaml.safe_load(text.split("---\n", 2)[1]) or {}
        wanted = [f["path"] for config in meta.get("configs", []) for f in config["data_files"]]
    except (yaml.YAMLError, AttributeError, KeyError, TypeError) as exc:
        raise PublishError(
            f"{card} has a YAML header without configs and their data files "
            f"({type(exc).__name__}): run `frontline build` again"
        ) from None
    missing = [p for p in wanted if not (corpus / p).is_file()]
    if not wanted or missing:
        raise PublishError(f"{card} names data files that are missing: {missing or 'none named'}")
    return ["README.md", *sorted(wanted)]


def check_repo_id(repo_id: str) -> None:
    """:class:`PublishError` unless ``repo_id`` is ``ORG/NAME`` as the Hub allows it (checked
    here)."""
    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        why = str(exc).split(":")[0]
    else:
        why = "" if repo_id.count("/") == 1 else "the organization or user is missing"
    if why:
        raise PublishError(f"--repo-id {repo_id!r} is not ORG/NAME ({why})")


def hub_token(env: Mapping[str, str] = os.environ) -> str:
    """The Hub token: ``$HF_TOKEN`` (or ``$HUGGING_FACE_HUB_TOKEN``), else the one ``hf auth
    login`` stored; :class:`PublishError` if there is none or it is not shaped like one (it is
    never shown)."""
    for var in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        if env.get(var, "").strip():
            token, source = env[var].strip(), f"${var}"
            break
    else:
        path = Path(hub_constants.HF_TOKEN_PATH)
        try:
            token, source = path.read_text(encoding="utf-8").strip(), str(path)
        except (FileNotFoundError, NotADirectoryError):
            token, source = "", str(path)
        except (OSError, UnicodeDecodeError) as exc:
            raise PublishError(
                f"the Hugging Face token file {path} cannot be read ({type(exc).__name__}); "
                "set HF_TOKEN instead; nothing was sent"
            ) from None
    return checked_token(token, f"the token in {source}")


def checked_token(token: str, what: str = "the token given") -> str:
    """``token`` if it is shaped like a Hugging Face token, else :class:`PublishError` (naming
    ``what``)."""
    if not token:
        raise PublishError(
            f"no Hugging Face token: set HF_TOKEN to a token with write access ({TOKENS_PAGE}) "
            "or run `hf auth login`; nothing was sent"
        )
    if not TOKEN_SHAPE.fullmatch(token):
        raise PublishError(
            f"{what} does not look like a Hugging Face token "
            "(hf_ and at least 30 letters or digits); nothing was sent"
        )
    return token


def _first_line(text: str, token: str, limit: int = 200) -> str:
    line = " ".join((text or "").strip().splitlines()[:1]).replace(token, "***") if text else ""
    line = TOKEN_SHAPE.sub("***", line)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _hub_failure(exc: Exception, step: str, repo_id: str, token: str) -> str:
    """One line saying what went wrong during ``step`` ("create", "upload to") and what to do."""
    if isinstance(exc, HfHubHTTPError):
        status = exc.response.status_code
        said = _first_line(exc.server_message or "", token)
        answer = f"HTTP {status}" + (f": {said}" if said else "")
        if status == 401:
            return (
                f"the Hugging Face Hub refused the token in $HF_TOKEN ({answer}): check it, or "
                f"make a new one at {TOKENS_PAGE}"
            )
        if status == 403:
            return (
                f"the token in $HF_TOKEN may not create or write {repo_id} ({answer}): use a "
                f"token with write access to {repo_id.split('/')[0]}"
            )
        if status >= 500:
            return (
                f"the Hugging Face Hub failed to {step} {repo_id} ({answer}); "
                "run `frontline publish` again later"
            )
        return f"the Hugging Face Hub refused to {step} {repo_id} ({answer})"
    what = _first_line(str(exc), token)
    what = f"{type(exc).__name__}: {what}" if what else type(exc).__name__
    if isinstance(exc, (httpx2.TransportError, OSError)):
        return (
            f"could not reach the Hugging Face Hub to {step} {repo_id} ({what}): check the "
            "network and run `frontline publish` again"
        )
    return f"the Hugging Face Hub client could not {step} {repo_id} ({what})"


def publish(
    corpus: Path,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool = False,
    api: HfApi | None = None,
) -> str:
    """Create the dataset repo if needed and upload the card and data files; return the commit URL.

    Checks the corpus, ``repo_id`` and the token (:func:`hub_token` unless ``token`` is given)
    before any request; an ``api`` given stands in for the Hub (its token is its own business).
    """
    files = publishable_files(corpus)
    check_repo_id(repo_id)
    if api is None:
        token = checked_token(token) if token else hub_token()
        api = HfApi(token=token)
    secret = token or "\0"
    step = "create"
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        step = "upload to"
        info = api.upload_folder(
            folder_path=str(corpus),
            repo_id=repo_id,
            repo_type="dataset",
            allow_patterns=files,
            commit_message="Frontline release",
        )
    except (HfHubHTTPError, httpx2.HTTPError, OSError, ValueError) as exc:
        raise PublishError(_hub_failure(exc, step, repo_id, secret)) from None
    return str(info)
