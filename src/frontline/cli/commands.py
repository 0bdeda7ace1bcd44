"""Every step of the ``frontline`` command, declared once: name, help, example, arguments and
handler. The parser is made from this table (:func:`build_parser`); the handlers live in the
module of their stage (``frontline.cli.core``, ``.studio``, ``.gold``, ``.release``,
``.baselines``), and ``reproduce``, which runs the others, is here.
"""

from __future__ import annotations

import argparse

from frontline import __version__
from frontline.cli import baselines, core, gold, release, studio
from frontline.cli.spec import Arg, Command, Group, arg, parser, positive
from frontline.core.files import changed_files, snapshot
from frontline.core.paths import ENV_STATE_DIR, Project
from frontline.release import formats
from frontline.studio import client, service

# --- the main job -----------------------------------------------------------------------

RELEASED = [
    "annotation/label_config.xml",
    "corpus",
    "baselines/results.json",
    "baselines/RESULTS.md",
    "baselines/predictions",
    "README.md",
]
"""What ``reproduce`` makes: it says whether each came back byte-identical."""

REPRODUCE = (
    ("articles", "check"),
    ("scheme", "config", "--check"),
    ("articles", "stats"),
    ("build",),
    ("baselines",),
    # the fine-tuned transformers (about an hour on 2 cores), beside the classic systems
    ("baselines", "--systems", "transformer"),
    # the card shows the baseline table: build again once the baselines have run (the parquet
    # files, and so the dataset checksum the baselines record, do not change)
    ("build",),
)
"""The steps of ``reproduce``, as they would be typed after ``frontline``."""


def cmd_reproduce(project: Project, args: argparse.Namespace) -> int:
    """Every step of the release, in order; then say whether the committed files came back."""
    steps = build_parser()
    before = snapshot(project.root, RELEASED)
    for step in REPRODUCE:
        step_args = steps.parse_args([*(["--quiet"] if args.quiet else []), *step])
        code = step_args.handler(project, step_args)
        if code:
            return code
    changed = changed_files(before, snapshot(project.root, RELEASED))
    if changed:
        print(
            f"reproduce: CHANGED: {len(changed)} released file(s) differ from what was there "
            "before (see git diff): " + ", ".join(changed)
        )
    else:
        print(
            f"reproduce: REPRODUCED: every released file ({len(before)} file(s) in "
            f"{', '.join(RELEASED)}) is byte-identical to what was there before"
        )
    return 0


# --- arguments shared by several steps --------------------------------------------------

_URL_HELP = (
    f"Label Studio URL (default ${service.ENV_URL} or http://127.0.0.1:{service.DEFAULT_PORT}); "
    f"the token comes from ${service.ENV_TOKEN} or the local server's credentials file"
)
URL = arg("--url", help=_URL_HELP)
PROJECT = arg("--project", default=client.DEFAULT_TITLE, help="project title (default %(default)r)")
SERVER = (
    arg(
        "--url",
        help=f"{_URL_HELP} (in the state folder outside the checkout: ${ENV_STATE_DIR} or "
        "~/.local/state/frontline/)",
    ),
    PROJECT,
    arg(
        "--force",
        action="store_true",
        help="go ahead even if annotations would be orphaned or lost",
    ),
)
"""The options of the steps that change a Label Studio project."""

# --- the steps --------------------------------------------------------------------------

ARTICLES = Group(
    "articles",
    "check, add and count the articles in seeds/",
    (
        Command(
            "check",
            core.cmd_articles_check,
            "verify the manifest, every text's UTF-8 and sha256, ids and duplicates; complete "
            "or roll back an add that was interrupted",
            "frontline articles check",
            (
                arg(
                    "--clean",
                    action="store_true",
                    help="also remove files in seeds/texts/ that manifest.json does not list "
                    "(.tmp files included) and .tmp files in seeds/, as a killed add of an older "
                    "version left them; never a listed text; each file removed is named",
                ),
            ),
        ),
        Command(
            "add",
            core.cmd_articles_add,
            "add articles from plain text files or JSONL (one object per line with 'text' "
            "and metadata); refused if an id or text is already there; all-or-nothing",
            "frontline articles add report.txt --title 'Rebels take town' --date 2024-12-01 "
            "--url https://example.org/r --license 'CC BY 4.0'",
            (
                arg("files", nargs="+", metavar="FILE", help=".txt (plain) or .jsonl files"),
                *(
                    arg(f"--{name}", help=f"{name} of a plain text article")
                    for name in core.METADATA
                ),
            ),
        ),
        Command(
            "stats",
            core.cmd_articles_stats,
            "print corpus statistics: articles, sentences, tokens, by licence and year",
            "frontline articles stats --json",
            (arg("--json", action="store_true", help="per-article counts as JSON"),),
        ),
    ),
)

SENTENCES = Command(
    "sentences",
    core.cmd_sentences,
    "print an article's sentences with their character spans (end exclusive)",
    "frontline sentences 000_2deeeecf94034bb2",
    (arg("id", help="article id"),),
)

SCHEME = Group(
    "scheme",
    "the annotation scheme and what derives from it",
    (
        Command(
            "config",
            core.cmd_scheme_config,
            "write annotation/label_config.xml from annotation/scheme.toml",
            "frontline scheme config --check",
            (
                arg(
                    "--check",
                    action="store_true",
                    help="fail if the committed config is out of date",
                ),
            ),
        ),
        Command(
            "show", core.cmd_scheme_show, "print labels and IOB2 tags", "frontline scheme show"
        ),
    ),
)

STUDIO = Group(
    "studio",
    "a local Label Studio server (SQLite, 127.0.0.1)",
    (
        Command(
            "start",
            studio.cmd_studio_start,
            "start Label Studio, create the admin user and token, wait until it answers; its "
            f"data and token live outside the checkout (${ENV_STATE_DIR}, else "
            "${XDG_STATE_HOME:-~/.local/state}/frontline/CHECKOUT-HASH)",
            "frontline studio start --port 8080",
            (
                arg(
                    "--port",
                    type=int,
                    default=service.DEFAULT_PORT,
                    help="port on 127.0.0.1 (default %(default)s)",
                ),
                arg(
                    "--postgres",
                    metavar="URL",
                    help="keep the data in this PostgreSQL database instead of SQLite: "
                    "postgresql://USER:PASSWORD@HOST:PORT/DATABASE (default "
                    f"${service.ENV_POSTGRES}); it must answer first",
                ),
            ),
        ),
        Command(
            "stop",
            studio.cmd_studio_stop,
            "stop the server `studio start` started",
            "frontline studio stop",
        ),
        Command(
            "status",
            studio.cmd_studio_status,
            "say whether our server runs and answers",
            "frontline studio status",
        ),
        Command(
            "add-annotator",
            studio.cmd_studio_add_annotator,
            "create an annotator's account that logs in to the browser, with a generated "
            "password written once to STATE/annotators/EMAIL.password (mode 0600) and never "
            "printed unless asked; an existing account is left as it is",
            "frontline studio add-annotator ann@example.org",
            (
                arg("email", metavar="EMAIL", help="the annotator's email (their login)"),
                URL,
                arg(
                    "--show-password",
                    action="store_true",
                    help="also print the password once to the terminal",
                ),
            ),
        ),
    ),
)

TASKS = Command(
    "tasks",
    studio.cmd_tasks,
    "write every article as a Label Studio task (stable JSON)",
    "frontline tasks -o tasks.json",
    (arg("-o", "--output", default="-", help="output file (default: standard output)"),),
)

PUSH = Command(
    "push",
    studio.cmd_push,
    "create or update the Label Studio project and import the articles it lacks",
    "frontline push --predictions lexicon",
    (
        *SERVER,
        arg(
            "--predictions",
            metavar="MODEL",
            help="attach pre-annotations: none, lexicon (built from the whole committed gold), "
            "or a baseline trained on the train split of corpus/ when push runs (spacy-ner: "
            "about a minute; the minilm models, with the [transformer] extra: minutes): "
            "sklearn-ner, spacy-ner, minilm-ner, or ENTITY+sklearn-relations / "
            "ENTITY+type-pair-prior / ENTITY+minilm-relations, e.g. spacy-ner+sklearn-relations",
        ),
        arg(
            "--batch-size",
            type=positive,
            default=client.BATCH_SIZE,
            metavar="N",
            help="tasks per import request (default %(default)s)",
        ),
    ),
)

PULL = Command(
    "pull",
    studio.cmd_pull,
    "export the project (full JSON), validate it and write annotation/exports/",
    "frontline pull",
    (
        *SERVER,
        arg("-o", "--output", help="export file (default annotation/exports/frontline-gold.json)"),
        arg(
            "--allow-empty",
            action="store_true",
            help="with --force: write the export even if it has no ground truth left where the "
            "committed one has some",
        ),
    ),
)

RESTORE = Command(
    "restore",
    studio.cmd_restore,
    "load the committed export into a Label Studio project (a fresh server, a new machine): "
    "tasks, every annotator's annotations with their authors (accounts created as needed), "
    "ground truth and predictions; adds only what the project lacks",
    "frontline restore --url http://127.0.0.1:8080",
    (
        *SERVER,
        arg(
            "--export",
            metavar="FILE",
            help="export to load (default annotation/exports/frontline-gold.json)",
        ),
    ),
)

REVIEW = Command(
    "review",
    studio.cmd_review,
    "list the tasks whose annotations lack a ground truth (or have several) and those whose "
    "annotations disagree, with their annotators (reads only)",
    "frontline review --json",
    (URL, PROJECT, arg("--json", action="store_true", help="the lists as JSON")),
)

ACCEPT = Command(
    "accept",
    studio.cmd_accept,
    "mark an annotation of a task as its ground truth (the gold the build releases) and take "
    "the mark from the task's other annotations; a cancelled annotation is refused",
    "frontline accept 000_2deeeecf94034bb2 --annotation 42",
    (
        arg("task", metavar="TASK", help="a task id or a doc id"),
        arg(
            "--annotation",
            type=positive,
            metavar="ID",
            help="the annotation id (required when the task has several annotations)",
        ),
        URL,
        PROJECT,
    ),
)

VALIDATE = Command(
    "validate",
    gold.cmd_validate,
    "check export files against the articles and the scheme; list every problem",
    "frontline validate annotation/exports/frontline-gold.json",
    (
        arg(
            "files",
            nargs="*",
            metavar="FILE",
            help="export files (default: annotation/exports/*.json)",
        ),
    ),
)

ANNOTATE = Command(
    "annotate",
    studio.cmd_annotate,
    "save an annotation sheet (see frontline.studio.sheets) as an annotator's annotation",
    "frontline annotate seed.sheet --annotator annotator-1@frontline.local --ground-truth",
    (
        *SERVER,
        arg("sheets", nargs="+", metavar="SHEET", help="sheet files (all are checked first)"),
        arg(
            "--annotator",
            default="annotator-1@frontline.local",
            help="annotator account (e-mail); created if missing (default %(default)s)",
        ),
        arg("--password", help="password for a new annotator account (default: random)"),
        arg("--ground-truth", action="store_true", help="mark it as the adjudicated gold"),
        arg("--dry-run", action="store_true", help="only check the sheet against the article"),
    ),
)

BUILD = Command(
    "build",
    release.cmd_build,
    "validate the gold export and write the Hugging Face dataset to corpus/",
    "frontline build",
    (
        arg(
            "-o",
            "--output",
            help="output folder (default corpus/), replaced whole: it must be new, empty "
            "or an earlier build output (marked by its .frontline-build file)",
        ),
        arg(
            "--num-proc",
            type=positive,
            default=1,
            metavar="N",
            help="worker processes that validate tasks and make rows (default 1; "
            "the output is the same)",
        ),
    ),
)

EXPORT = Command(
    "export",
    release.cmd_export,
    "write the gold as spaCy DocBin, brat standoff or CoNLL IOB",
    "frontline export --format brat -o exports/brat",
    (
        arg("--format", required=True, choices=formats.FORMATS),
        arg("-o", "--output", required=True, help="output folder"),
    ),
)

PUBLISH = Command(
    "publish",
    release.cmd_publish,
    "push corpus/ to the Hugging Face Hub (token: $HF_TOKEN)",
    "frontline publish --repo-id my-org/frontline",
    (
        arg("--repo-id", required=True, help="ORG/NAME of the dataset repository"),
        arg("--private", action="store_true", help="create the repository as private"),
        arg("--dry-run", action="store_true", help="check and list the files, upload nothing"),
    ),
)

AGREEMENT = Command(
    "agreement",
    gold.cmd_agreement,
    "inter-annotator agreement of the double-annotated articles -> annotation/agreement.md",
    "frontline agreement",
)

STATS = Command(
    "stats",
    gold.cmd_stats,
    "gold statistics per label, article and split, and the consistency lint -> annotation/stats.md",
    "frontline stats --verbose",
    (arg("--verbose", action="store_true", help="print the whole report"),),
)

COMPARE = Command(
    "compare",
    gold.cmd_compare,
    "list the disagreements between two annotation sheets",
    "frontline compare annotation/sheets/X.sheet annotation/sheets-blind/X.sheet",
    (arg("a", help="sheet of annotator A"), arg("b", help="sheet of annotator B")),
)

BASELINES = Command(
    "baselines",
    baselines.cmd_baselines,
    "train, tune and score every baseline; write baselines/results.json, RESULTS.md and the "
    "README table",
    "frontline baselines --systems transformer",
    (
        arg(
            "--systems",
            default="classic",
            choices=("classic", "transformer"),
            help="classic (default): the lexicon, scikit-learn and spaCy models (about 10 "
            "minutes on 2 cores); transformer: the fine-tuned MiniLM entity tagger and "
            "relation classifier (the [transformer] extra), added to the recorded results",
        ),
    ),
)

EVALUATE = Command(
    "evaluate",
    baselines.cmd_evaluate,
    "score a predictions file (JSONL: id, entities, relations) against the gold, with CIs",
    "frontline evaluate baselines/predictions/spacy-ner.jsonl --split test",
    (
        arg("predictions", help="the JSON Lines file of predictions (format above)"),
        arg(
            "--split",
            default="test",
            choices=("train", "validation", "test"),
            help="the split the file predicts (default: test)",
        ),
        arg("--json", action="store_true", help="print the whole scoring record as JSON"),
    ),
    description=(
        "Score a predictions file against the gold of one split of the built dataset "
        "(corpus/).\n\n"
        "One JSON line per document of the split:\n"
        '  {"id": ..., "entities": [{"start": 0, "end": 6, "label": "GROUP"}],\n'
        '   "relations": [{"head": 0, "tail": 1, "label": "ATTACKS"}]}\n'
        "Offsets are characters of the text, end exclusive; head and tail index the line's\n"
        'entities. "entities" and "relations" are required (use [] for none). A label is a\n'
        "name of the scheme or its integer ClassLabel id, as datasets.load_dataset gives it\n"
        "(0 = the first label of annotation/scheme.toml). Lines end at \\n only (a raw\n"
        "U+2028 inside a string is part of the string).\n\n"
        "A file with any problem is refused and nothing is scored: the problems are listed\n"
        "(at most 50, then how many more) with file:line and document id: not JSON, not an\n"
        "object, a key twice in an object, an id not of the split (a file of another split is\n"
        "named as such), a document twice or missing, an offset out of the text, an unknown\n"
        "label or label id, a mention twice, a relation of a mention with itself.\n\n"
        "Prints P/R/F1 (entities: strict, exact, partial, type; relations: strict, "
        "boundaries)\n"
        "with bootstrap 95% CIs of F1; --json prints the whole record (per-label F1, counts)."
    ),
)

REPRODUCE_STEP = Command(
    "reproduce",
    cmd_reproduce,
    "the main job: check articles and label config, build the dataset, reproduce the baselines",
    "frontline reproduce",
)

STEPS: tuple[Command | Group, ...] = (
    ARTICLES,
    SENTENCES,
    SCHEME,
    STUDIO,
    TASKS,
    PUSH,
    PULL,
    RESTORE,
    REVIEW,
    ACCEPT,
    VALIDATE,
    ANNOTATE,
    BUILD,
    EXPORT,
    PUBLISH,
    AGREEMENT,
    STATS,
    COMPARE,
    BASELINES,
    EVALUATE,
    REPRODUCE_STEP,
)
"""The steps in the order ``frontline --help`` lists them."""

OPTIONS: tuple[Arg, ...] = (
    arg("--version", action="version", version=f"frontline {__version__}"),
    arg(
        "--root",
        help="the Frontline checkout (default: $FRONTLINE_ROOT or the nearest folder above the "
        "working directory with annotation/scheme.toml)",
    ),
    arg("-q", "--quiet", action="store_true", help="no progress bars"),
)
"""The options of ``frontline`` itself, given before the step."""


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``frontline``: :data:`OPTIONS`, then one subcommand per step of
    :data:`STEPS`; each parsed namespace carries its step's ``handler``."""
    return parser(
        "frontline",
        "Frontline: annotated corpus of armed-conflict news (entities and relations).",
        "frontline reproduce      # check, build and score everything",
        OPTIONS,
        STEPS,
    )
