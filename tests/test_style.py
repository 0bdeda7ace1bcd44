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


def test_no_function_is_longer_than_60_lines():
    assert long_functions(SRC) == []


def test_every_subpackage_says_what_it_owns():
    packages = [m.name for m in pkgutil.iter_modules([str(SRC)]) if m.ispkg]
    assert sorted(packages) == ["baselines", "cli", "core", "eval", "gold", "release", "studio"]
    for name in packages:
        doc = ast.get_docstring(ast.parse((SRC / name / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc.split()) >= 15, (
            f"frontline.{name} has no docstring that says what it owns"
        )
