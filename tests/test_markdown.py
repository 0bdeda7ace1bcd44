"""The one Markdown table writer (frontline.core.markdown)."""

import pytest

from frontline.core.markdown import cell, markdown_table


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
