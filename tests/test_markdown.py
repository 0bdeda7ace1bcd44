"""The one Markdown table writer and the generated blocks (frontline.core.markdown)."""

import pytest

from frontline.core.markdown import between, cell, markdown_table, splice


def test_a_table_has_the_header_a_separator_and_one_line_a_row():
    assert markdown_table(("a", "b"), [(1, "x"), (2.5, None)]) == (
        "| a | b |\n|---|---|\n| 1 | x |\n| 2.5 | None |"
    )


def test_a_table_without_rows_is_its_header():
    assert markdown_table(("a",), []) == "| a |\n|---|"


def test_every_cell_and_the_header_escape_the_pipe_and_line_breaks():
    assert cell("a|b\r\nc\rd\ne") == "a\\|b c d e"
    assert markdown_table(("a|b",), [("x\ny",)]) == "| a\\|b |\n|---|\n| x y |"


def test_align_sets_the_separator_of_each_column_and_pads_the_rest():
    assert markdown_table(("a", "b", "c", "d", "e"), [], align="lrc").splitlines()[1] == (
        "|:---|---:|:---:|---|---|"
    )
    assert markdown_table(("a", "b"), [], align="-r").splitlines()[1] == "|---|---:|"


@pytest.mark.parametrize("align", ["x", "rrr"])
def test_an_align_that_does_not_fit_the_header_is_refused(align):
    with pytest.raises(ValueError, match=f"align '{align}'"):
        markdown_table(("a", "b"), [], align=align)


def test_a_row_of_another_width_than_the_header_is_refused():
    with pytest.raises(ValueError, match=r"row 1 has 3 cells, the header 2: \(1, 2, 3\)"):
        markdown_table(("a", "b"), [(1, 2), (1, 2, 3)])


def test_an_empty_cell_is_one_space_wide():
    assert markdown_table(("a", "", "b"), [("", 1, "")]) == "| a | | b |\n|---|---|---|\n| | 1 | |"


def test_splice_replaces_only_the_block() -> None:
    text = "a\n<!-- results -->\nold\n<!-- /results -->\nb\n"
    assert splice(text, "new") == "a\n<!-- results -->\nnew\n<!-- /results -->\nb\n"
    with pytest.raises(ValueError):
        splice("no markers", "x")


def test_splice_takes_other_markers() -> None:
    text = "<!-- b -->\nold\n<!-- /b -->\n"
    assert splice(text, "new", ("<!-- b -->", "<!-- /b -->")) == "<!-- b -->\nnew\n<!-- /b -->\n"


def test_between_is_what_splice_put_there() -> None:
    text = splice("a\n<!-- results -->\n<!-- /results -->\nb\n", "| x |\n|---|")
    assert between(text) == "| x |\n|---|"
    assert between("no markers") is None
    assert between("<!-- /results --> then <!-- results -->") is None


def test_the_examples_in_the_docstrings_hold() -> None:
    import doctest

    from frontline.core import markdown

    assert doctest.testmod(markdown).failed == 0
    assert doctest.testmod(markdown).attempted == 4
