import pytest

from frontline.publish import PublishError, publish, publishable_files


class RecordingApi:
    """Stands in for the Hub at the network boundary: records the calls publish makes."""

    def __init__(self):
        self.calls = []

    def create_repo(self, *args, **kwargs):
        self.calls.append(("create_repo", args, kwargs))

    def upload_folder(self, **kwargs):
        self.calls.append(("upload_folder", (), kwargs))
        return "https://hub.example/commit/1"


def test_committed_corpus_is_publishable(repo):
    files = publishable_files(repo.corpus)
    assert files[0] == "README.md" and "documents/test.parquet" in files


def test_publish_uploads_exactly_the_card_and_data_files(repo):
    api = RecordingApi()
    assert publish(repo.corpus, "org/frontline", api=api) == "https://hub.example/commit/1"
    (create, upload) = api.calls
    assert create == ("create_repo", ("org/frontline",), {"repo_type": "dataset", "private": False, "exist_ok": True})
    assert upload[2]["allow_patterns"] == publishable_files(repo.corpus)
    assert upload[2]["repo_type"] == "dataset"


def test_unbuilt_or_broken_corpus_is_refused(tmp_path):
    with pytest.raises(PublishError, match="README.md is missing: run `frontline build` first"):
        publishable_files(tmp_path)
    (tmp_path / "README.md").write_text("---\nconfigs:\n- config_name: a\n  data_files:\n  - split: test\n"
                                        "    path: a/test.parquet\n---\n")
    with pytest.raises(PublishError, match=r"missing: \['a/test.parquet'\]"):
        publishable_files(tmp_path)
