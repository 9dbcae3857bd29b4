"""The codegen stage (codebegen/stages/codegen.py): what it accepts as the body of a rule."""

from __future__ import annotations

import textwrap


def test_a_rule_body_must_be_the_kind_of_code_its_sentence_asks_for() -> None:
    from codebegen.stages.codegen import _syntax_problem

    computes = "The total is computed as quantity times unit price."
    refuses = "The quantity must be at least 1."
    check = "value = row.total\nif value is not None and value < 0:\n    raise RuleViolation('total', 'negative')"
    assert _syntax_problem("    row.total = row.quantity * row.unit_price", computes) is None
    assert _syntax_problem('    row["total"] = row["quantity"] * row["unit_price"]', computes) is None
    assert "sets no field" in _syntax_problem(textwrap.indent(check, "    "), computes)
    assert _syntax_problem(textwrap.indent(check, "    "), refuses) is None
    assert "never raises" in _syntax_problem("    value = row.quantity", refuses)
    assert "does not parse" in _syntax_problem("    row.total = = 3", computes)
    assert _syntax_problem("    pass") is None  # no sentence given: only the syntax is checked
