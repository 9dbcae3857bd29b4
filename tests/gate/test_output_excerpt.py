"""Cutting tool output down to the lines a person needs."""

from codebegen.gate import output_excerpt

PYTEST_OUT = """\
tests/test_a.py::test_ok PASSED                                          [ 50%]
tests/test_a.py::test_sum FAILED                                         [100%]

=================================== FAILURES ===================================
___________________________________ test_sum ___________________________________
tests/test_a.py:5: in test_sum
    assert total([1, 2]) == 4
E   assert 3 == 4
E    +  where 3 = total([1, 2])
/venv/lib/python3.11/site-packages/x.py:10: in helper
    pass
=========================== short test summary info ============================
FAILED tests/test_a.py::test_sum - assert 3 == 4
========================= 1 failed, 1 passed in 0.12s ==========================
"""


def test_pytest_excerpt_names_the_failing_test_and_its_assertion() -> None:
    cut = output_excerpt.pytest(PYTEST_OUT)
    assert cut.headline == "1 failing: tests/test_a.py::test_sum - assert 3 == 4"
    assert cut.text.splitlines() == [
        "FAILED tests/test_a.py::test_sum - assert 3 == 4",
        "--- test_sum ---",
        "  tests/test_a.py:5: in test_sum",
        "  E   assert 3 == 4",
        "  E    +  where 3 = total([1, 2])",
        "1 failed, 1 passed in 0.12s",
    ]


def test_pytest_excerpt_of_a_passing_run_is_its_result_line() -> None:
    assert output_excerpt.pytest("....\n==== 4 passed in 0.5s ====\n").headline == "4 passed in 0.5s"


def test_pytest_that_crashed_shows_the_traceback() -> None:
    out = 'ImportError while loading conftest\nTraceback (most recent call last):\n  File "c.py", line 1\n' \
          "    import nope\nModuleNotFoundError: No module named 'nope'\n"  # fmt: skip
    assert output_excerpt.pytest(out).headline == "ModuleNotFoundError: No module named 'nope'"


def test_ruff_excerpt_keeps_diagnostics_only() -> None:
    out = "app/a.py:1:8: F401 [*] `os` imported but unused\nFound 1 error.\n[*] 1 fixable with the `--fix` option.\n"
    cut = output_excerpt.ruff(out)
    assert cut.text == "app/a.py:1:8: F401 [*] `os` imported but unused"
    assert output_excerpt.ruff("Would reformat: app/a.py\n1 file would be reformatted\n").text == (
        "Would reformat: app/a.py"
    )


def test_traceback_excerpt_keeps_the_last_frames_and_the_message() -> None:
    frames = "".join(f'  File "m{i}.py", line {i}, in f\n    call()\n' for i in range(10))
    out = f"INFO: Started\nTraceback (most recent call last):\n{frames}ValueError: bad\n  details\nERROR: exit\n"
    cut = output_excerpt.traceback(out)
    assert cut.headline == "ValueError: bad"
    lines = cut.text.splitlines()
    assert lines[1] == '  File "m7.py", line 7, in f' and lines[-2:] == ["ValueError: bad", "  details"]


def test_long_output_is_bounded() -> None:
    text = output_excerpt.bounded([f"line {i}" for i in range(500)])
    assert len(text.splitlines()) == output_excerpt.MAX_LINES + 1 and text.endswith("460 more lines")
