"""Import the project's source articles from ../shared/sources into seeds/ (run once).

The seed article carries no metadata of its own; what is known about it (shared/sources
README) is recorded here. Usage::

    python scripts/import_sources.py [SOURCES_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

from frontline.core.articles import add_articles, read_jsonl, read_plain
from frontline.core.paths import find_project

SEED = {
    "id": "000_2deeeecf94034bb2",
    "title": (
        "Iraqi militias deploy in Syria to back government's counteroffensive against insurgents"
    ),
    "date": "2024-12-02",
    "url": "",
    "license": "not stated",
    "attribution": "Frontline seed document; the same story was syndicated by the Associated Press "
    "on 2 December 2024 under this headline. No licence is stated for this text.",
    "source": "Frontline project seed document (shared/sources/000_2deeeecf94034bb2.txt)",
    "topic": "Syria (Iraqi militias back the Syrian government against the insurgent offensive "
    "on Aleppo, 30 November - 2 December 2024); core conflict reporting",
}


def main(sources: Path) -> None:
    project = find_project()
    seed = read_plain(sources / f"{SEED['id']}.txt", **SEED)
    articles = add_articles(project.seeds, [seed, *read_jsonl(sources / "wikinews-conflict.jsonl")])
    print(f"{len(articles)} articles in {project.seeds}")


if __name__ == "__main__":
    main(
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else Path(__file__).resolve().parents[2] / "shared" / "sources"
    )
