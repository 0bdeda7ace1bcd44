from frontline.core.files import changed_files, snapshot


def test_snapshot_and_changed_files(tmp_path):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.parquet").write_bytes(b"a")
    (tmp_path / "results.json").write_bytes(b"{}")
    before = snapshot(tmp_path, ["corpus", "results.json", "missing.md"])
    assert before == {"corpus/a.parquet": b"a", "results.json": b"{}"}
    (tmp_path / "corpus" / "a.parquet").write_bytes(b"a")  # same bytes rewritten
    (tmp_path / "corpus" / "b.parquet").write_bytes(b"b")
    (tmp_path / "results.json").unlink()
    assert changed_files(before, snapshot(tmp_path, ["corpus", "results.json"])) == [
        "corpus/b.parquet",
        "results.json",
    ]
