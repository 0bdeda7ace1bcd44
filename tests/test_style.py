"""The package stays walkable: short functions, and every subpackage says what it owns."""

import ast
import pkgutil
from pathlib import Path

import frontline

SRC = Path(frontline.__file__).parent
MAX_FUNCTION_LINES = 60


def long_functions(root: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """``path:line name (N lines)`` of every function or method longer than ``limit`` lines."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    found.append(
                        f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)"
                    )
    return found


def test_long_functions_are_found(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    (tmp_path / "m.py").write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}\n")
    assert long_functions(tmp_path) == ["m.py:5 long (61 lines)"]


# Functions still over the limit on main while issue 18's refactor branches are merged. The list
# may only shrink: any function over the limit that is not listed here fails; empty when done.
STILL_LONG = {
    "baselines/report.py:32 table",
    "baselines/report.py:182 write_error_analysis",
    "baselines/suite.py:173 run",
    "cli.py:362 cmd_restore",
    "cli.py:880 build_parser",
    "eval/predictions.py:259 read_predictions",
    "gold/agreement.py:215 report",
    "gold/stats.py:104 gold_report",
    "release/card.py:577 render",
    "release/dataset.py:328 article_rows",
    "studio/people.py:158 add_annotator",
    "studio/restore.py:202 restore",
    "studio/restore.py:288 _annotations",
    "studio/service.py:482 start",
}


def test_no_new_function_is_longer_than_60_lines():
    found = {entry.rsplit(" (", 1)[0] for entry in long_functions(SRC)}
    assert found <= STILL_LONG


def test_every_subpackage_says_what_it_owns():
    packages = [m.name for m in pkgutil.iter_modules([str(SRC)]) if m.ispkg]
    assert sorted(packages) == ["baselines", "core", "eval", "gold", "release", "studio"]
    for name in packages:
        doc = ast.get_docstring(ast.parse((SRC / name / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 15, (
            f"frontline.{name} has no docstring that says what it owns"
        )
