"""The package stays walkable: short functions, every subpackage says what it owns, and imports
only point down the pipeline's layers."""

import ast
import pkgutil
from pathlib import Path

import frontline

SRC = Path(frontline.__file__).parent
MAX_FUNCTION_LINES = 60
#: The layers, lowest first: a module may import from its own layer and the ones before it.
LAYERS = ("errors", "core", "eval", "gold", "release", "baselines", "studio", "cli")


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


def upward_imports(root: Path, layers: tuple[str, ...] = LAYERS) -> list[str]:
    """``path:line layer -> higher layer`` of every import (at module level or inside a
    function) of ``frontline.<layer>`` from a module of a lower layer."""
    found = []
    for path in sorted(root.rglob("*.py")):
        layer = path.relative_to(root).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                parts = name.split(".")
                if parts[0] != "frontline" or len(parts) < 2 or layer not in layers:
                    continue
                if parts[1] in layers and layers.index(parts[1]) > layers.index(layer):
                    found.append(f"{path.relative_to(root)}:{node.lineno} {layer} -> {parts[1]}")
    return found


def test_upward_imports_are_found(tmp_path):
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "a.py").write_text(
        "from frontline.core import b\nfrom frontline.errors import E\n\n\n"
        "def f():\n    from frontline.studio import client\n"
    )
    (tmp_path / "cli.py").write_text("import frontline.gold.exports\n")
    assert upward_imports(tmp_path) == ["core/a.py:6 core -> studio"]


def test_imports_point_down_the_layers():
    assert upward_imports(SRC) == []


def test_every_module_is_in_a_layer():
    top = {p.name.removesuffix(".py") for p in SRC.iterdir() if p.suffix == ".py" or p.is_dir()}
    assert top - {"__init__", "__main__", "__pycache__"} == set(LAYERS)


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
