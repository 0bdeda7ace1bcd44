"""The steps of ``frontline.release``: build the dataset, export the gold, publish."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from frontline.core.documents import Document
from frontline.core.paths import Project
from frontline.release import formats
from frontline.release.build import build, load_gold


def cmd_build(project: Project, args: argparse.Namespace) -> int:
    """``frontline build``: validate the gold export and write the dataset to corpus/."""
    output = Path(args.output) if args.output else project.corpus
    report = build(project, output, num_proc=args.num_proc, progress=not args.quiet)
    for doc_id in report.missing:
        print(f"not released (no gold yet): {doc_id}", file=sys.stderr)
    summary = ", ".join(f"{config} {sum(n.values())} rows" for config, n in report.counts.items())
    print(
        f"built {output}: {len(report.released)} article(s) released, "
        f"{len(report.missing)} without gold; {summary}"
    )
    return 0


def cmd_export(project: Project, args: argparse.Namespace) -> int:
    """``frontline export --format F -o DIR``: the gold of each split in another format."""
    gold = load_gold(project)
    by_split: dict[str, list[Document]] = {}
    for doc in gold.documents:
        by_split.setdefault(gold.splits[doc.doc_id], []).append(doc)
    written = formats.export(args.format, Path(args.output), by_split, gold.scheme)
    for path in written:
        print(f"wrote {path}")
    if args.format == "conll":
        print(
            "note: CoNLL IOB holds entities only; relations are not in this format "
            "(use --format spacy or brat, or the dataset's relations config)"
        )
    return 0


def cmd_publish(project: Project, args: argparse.Namespace) -> int:
    """``frontline publish --repo-id ORG/NAME``: corpus/ to the Hugging Face Hub."""
    from frontline.release.publish import check_repo_id, publish, publishable_files

    files = publishable_files(project.corpus)
    check_repo_id(args.repo_id)
    if args.dry_run:
        print("would upload: " + ", ".join(files))
        return 0
    print(publish(project.corpus, args.repo_id, private=args.private))
    return 0
