"""``frontline publish``: push ``corpus/`` to the Hugging Face Hub as a dataset repository.

The token comes from ``HF_TOKEN`` (or ``huggingface-cli login``), never from the repo.
Everything up to the upload is checked locally first.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from huggingface_hub import HfApi


class PublishError(RuntimeError):
    """The corpus folder is not ready to publish."""


def publishable_files(corpus: Path) -> list[str]:
    """The files that would be uploaded; :class:`PublishError` if the card or a data file is missing."""
    card = corpus / "README.md"
    if not card.exists():
        raise PublishError(f"{card} is missing: run `frontline build` first")
    text = card.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise PublishError(f"{card} has no YAML header")
    meta = yaml.safe_load(text.split("---\n", 2)[1])
    wanted = [f["path"] for config in meta.get("configs", []) for f in config["data_files"]]
    missing = [p for p in wanted if not (corpus / p).is_file()]
    if not wanted or missing:
        raise PublishError(f"{card} names data files that are missing: {missing or 'none named'}")
    return ["README.md", *sorted(wanted)]


def publish(corpus: Path, repo_id: str, *, token: str | None = None, private: bool = False,
            api: HfApi | None = None) -> str:
    """Create the dataset repo if needed and upload the card and data files; return the commit URL."""
    files = publishable_files(corpus)
    api = api or HfApi(token=token)
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    info = api.upload_folder(folder_path=str(corpus), repo_id=repo_id, repo_type="dataset",
                             allow_patterns=files, commit_message="Frontline release")
    return str(info)
