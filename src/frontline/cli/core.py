"""The steps of ``frontline.core``: the articles in seeds/ and the annotation scheme."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from frontline.core.articles import (
    Article,
    add_articles,
    check_articles,
    load_articles,
    read_jsonl,
    read_plain,
)
from frontline.core.files import atomic_write
from frontline.core.labelconfig import label_config
from frontline.core.paths import Project
from frontline.core.scheme import load_scheme
from frontline.core.text import parse, sentence_spans
from frontline.errors import CommandError
from frontline.gold.stats import count_article, summary_table

METADATA = ("id", "title", "date", "url", "license", "attribution", "source", "topic")
"""The options of ``articles add`` that set a plain text article's metadata."""


def cmd_articles_check(project: Project, args: argparse.Namespace) -> int:
    """``frontline articles check``: the manifest, texts and ids of seeds/."""
    articles = check_articles(project.seeds, clean=args.clean, report=print)
    print(f"{len(articles)} articles OK: manifest, UTF-8 and sha256 checked ({project.seeds})")
    return 0


def cmd_articles_add(project: Project, args: argparse.Namespace) -> int:
    """``frontline articles add``: plain text or JSONL files, all or nothing."""
    metadata = {k: v for k, v in vars(args).items() if k in METADATA and v is not None}
    new: list[Article] = []
    for path in map(Path, args.files):
        if path.suffix == ".jsonl":
            if metadata:
                raise CommandError(f"{path}: metadata options apply to plain text files only")
            new += read_jsonl(path)
        else:
            if len(args.files) > 1 and "id" in metadata:
                raise CommandError("--id can only be given with a single file")
            new.append(read_plain(path, **metadata))
    articles = add_articles(project.seeds, new, report=print)
    print(f"added {len(new)} article(s); {len(articles)} in {project.seeds}")
    return 0


def cmd_articles_stats(project: Project, args: argparse.Namespace) -> int:
    """``frontline articles stats``: sentences and tokens, as a table or per article as JSON."""
    articles = load_articles(project.seeds)
    counts = [
        count_article(a)
        for a in tqdm(articles, desc="tokenizing", unit="article", disable=args.quiet)
    ]
    if args.json:
        print(json.dumps([asdict(c) for c in counts], indent=2))
    else:
        print(summary_table(counts))
    return 0


def cmd_sentences(project: Project, args: argparse.Namespace) -> int:
    """``frontline sentences ID``: one line per sentence, with its span."""
    articles = {a.id: a for a in load_articles(project.seeds)}
    if args.id not in articles:
        raise CommandError(f"no article {args.id!r} in {project.seeds}")
    text = articles[args.id].text
    for number, (start, end) in enumerate(sentence_spans(parse(text))):
        print(f"{number:>3} [{start}:{end}] {text[start:end]}")
    return 0


def cmd_scheme_config(project: Project, args: argparse.Namespace) -> int:
    """``frontline scheme config``: write (or with --check, compare) the label config."""
    xml = label_config(load_scheme(project.scheme))
    current = (
        project.label_config.read_text(encoding="utf-8") if project.label_config.exists() else None
    )
    if args.check:
        if current != xml:
            raise CommandError(
                f"{project.label_config} is out of date: run `frontline scheme config`"
            )
        print(f"{project.label_config} is up to date")
    elif current != xml:
        atomic_write(project.label_config, xml.encode("utf-8"))
        print(f"wrote {project.label_config}")
    else:
        print(f"{project.label_config} unchanged")
    return 0


def cmd_scheme_show(project: Project, args: argparse.Namespace) -> int:
    """``frontline scheme show``: the labels and the IOB2 tags."""
    scheme = load_scheme(project.scheme)
    print(f"scheme version {scheme.version}")
    print("entities:  " + " ".join(scheme.entity_names))
    print("relations: " + " ".join(scheme.relation_names))
    print("IOB2 tags: " + " ".join(scheme.iob2_tags()))
    return 0
