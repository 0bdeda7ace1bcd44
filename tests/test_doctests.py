"""The examples in the package's docstrings are true (run as doctests)."""

import doctest
import importlib
import pkgutil

import pytest

import frontline

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(frontline.__path__, "frontline.")
    if m.name != "frontline.__main__"
)


def test_the_modules_with_examples_are_found():
    assert {
        "frontline.release.build",
        "frontline.release.columns",
        "frontline.release.dataset",
        "frontline.core.text",
    } <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} of {result.attempted} example(s) in {name} failed"
