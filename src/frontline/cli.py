"""The ``frontline`` command: one subcommand per step of the pipeline.

Run ``frontline --help`` for the list and ``frontline STEP --help`` for each step.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path

from tqdm import tqdm

from frontline import __version__
from frontline.articles import ArticleError, Article, add_articles, load_articles, read_jsonl, read_plain
from frontline.labelconfig import label_config
from frontline.paths import Project, ProjectNotFound, find_project
from frontline.scheme import SchemeError, load_scheme
from frontline.stats import count_article, summary_table
from frontline.text import parse, sentence_spans


class CommandError(RuntimeError):
    """A step failed for a reason the user can act on; printed without a traceback."""


Handler = Callable[[Project, argparse.Namespace], int]


# --- articles -------------------------------------------------------------------------

def cmd_articles_check(project: Project, args: argparse.Namespace) -> int:
    articles = load_articles(project.seeds)
    print(f"{len(articles)} articles OK: manifest, UTF-8 and sha256 checked ({project.seeds})")
    return 0


def cmd_articles_add(project: Project, args: argparse.Namespace) -> int:
    metadata = {k: v for k, v in vars(args).items()
                if k in ("id", "title", "date", "url", "license", "attribution", "source", "topic")
                and v is not None}
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
    articles = add_articles(project.seeds, new)
    print(f"added {len(new)} article(s); {len(articles)} in {project.seeds}")
    return 0


def cmd_articles_stats(project: Project, args: argparse.Namespace) -> int:
    articles = load_articles(project.seeds)
    counts = [count_article(a) for a in tqdm(articles, desc="tokenizing", unit="article",
                                              disable=args.quiet)]
    if args.json:
        print(json.dumps([asdict(c) for c in counts], indent=2))
    else:
        print(summary_table(counts))
    return 0


def cmd_sentences(project: Project, args: argparse.Namespace) -> int:
    articles = {a.id: a for a in load_articles(project.seeds)}
    if args.id not in articles:
        raise CommandError(f"no article {args.id!r} in {project.seeds}")
    text = articles[args.id].text
    for number, (start, end) in enumerate(sentence_spans(parse(text))):
        print(f"{number:>3} [{start}:{end}] {text[start:end]}")
    return 0


# --- scheme ---------------------------------------------------------------------------

def cmd_scheme_config(project: Project, args: argparse.Namespace) -> int:
    xml = label_config(load_scheme(project.scheme))
    current = project.label_config.read_text(encoding="utf-8") if project.label_config.exists() else None
    if args.check:
        if current != xml:
            raise CommandError(f"{project.label_config} is out of date: run `frontline scheme config`")
        print(f"{project.label_config} is up to date")
    elif current != xml:
        project.label_config.write_text(xml, encoding="utf-8")
        print(f"wrote {project.label_config}")
    else:
        print(f"{project.label_config} unchanged")
    return 0


def cmd_scheme_show(project: Project, args: argparse.Namespace) -> int:
    scheme = load_scheme(project.scheme)
    print(f"scheme version {scheme.version}")
    print("entities:  " + " ".join(scheme.entity_names))
    print("relations: " + " ".join(scheme.relation_names))
    print("IOB2 tags: " + " ".join(scheme.iob2_tags()))
    return 0


# --- the main job ---------------------------------------------------------------------

def cmd_reproduce(project: Project, args: argparse.Namespace) -> int:
    """Every step of the release, in order."""
    args.check, args.json = True, False
    for step in (cmd_articles_check, cmd_scheme_config, cmd_articles_stats):
        step(project, args)
    return 0


# --- parser ---------------------------------------------------------------------------

def _add(sub: argparse._SubParsersAction, name: str, handler: Handler, help: str,
         example: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}",
                            formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(handler=handler)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="frontline",
        description="Frontline: annotated corpus of armed-conflict news (entities and relations).",
        epilog="example:\n  frontline reproduce      # check, build and score everything",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"frontline {__version__}")
    parser.add_argument("--root", help="the Frontline checkout (default: $FRONTLINE_ROOT or "
                        "the nearest folder above the working directory with annotation/scheme.toml)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    steps = parser.add_subparsers(title="steps", metavar="STEP", required=True)

    articles = steps.add_parser("articles", help="check, add and count the articles in seeds/",
                                description="Check, add and count the articles in seeds/.")
    articles_steps = articles.add_subparsers(title="actions", metavar="ACTION", required=True)
    _add(articles_steps, "check", cmd_articles_check,
         "verify the manifest, every text's UTF-8 and sha256, ids and duplicates",
         "frontline articles check")
    add = _add(articles_steps, "add", cmd_articles_add,
               "add articles from plain text files or JSONL (one object per line with 'text' "
               "and metadata); refused if an id or text is already there; all-or-nothing",
               "frontline articles add report.txt --title 'Rebels take town' --date 2024-12-01 "
               "--url https://example.org/r --license 'CC BY 4.0'")
    add.add_argument("files", nargs="+", metavar="FILE", help=".txt (plain) or .jsonl files")
    for name in ("id", "title", "date", "url", "license", "attribution", "source", "topic"):
        add.add_argument(f"--{name}", help=f"{name} of a plain text article")
    _add(articles_steps, "stats", cmd_articles_stats,
         "print corpus statistics: articles, sentences, tokens, by licence and year",
         "frontline articles stats --json").add_argument(
        "--json", action="store_true", help="per-article counts as JSON")

    sentences = _add(steps, "sentences", cmd_sentences,
                     "print an article's sentences with their character spans (end exclusive)",
                     "frontline sentences 000_2deeeecf94034bb2")
    sentences.add_argument("id", help="article id")

    scheme = steps.add_parser("scheme", help="the annotation scheme and what derives from it",
                              description="The annotation scheme and what derives from it.")
    scheme_steps = scheme.add_subparsers(title="actions", metavar="ACTION", required=True)
    _add(scheme_steps, "config", cmd_scheme_config,
         "write annotation/label_config.xml from annotation/scheme.toml",
         "frontline scheme config --check").add_argument(
        "--check", action="store_true", help="fail if the committed config is out of date")
    _add(scheme_steps, "show", cmd_scheme_show, "print labels and IOB2 tags", "frontline scheme show")

    _add(steps, "reproduce", cmd_reproduce,
         "the main job: check the articles and the label config, print corpus statistics",
         "frontline reproduce")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(find_project(args.root), args)
    except (ArticleError, CommandError, ProjectNotFound, SchemeError) as exc:
        problems = getattr(exc, "problems", [str(exc)])
        print(f"frontline: error: {problems[0]}" if len(problems) == 1 else
              "frontline: error: {} problems:\n".format(len(problems))
              + "\n".join(f"  - {p}" for p in problems), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
