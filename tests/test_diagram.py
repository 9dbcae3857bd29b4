"""The Mermaid ER diagram names every entity, field and relationship of the spec."""

from codebegen.diagram import er_diagram
from codebegen.spec import load_spec
from tests.helpers import ALL_FEATURES


def test_diagram_draws_every_entity_and_edge() -> None:
    spec = load_spec(ALL_FEATURES)
    text = er_diagram(spec)
    assert text.startswith("erDiagram\n")
    for e in spec.entities:
        assert f"    {e.name} {{" in text
        for f in e.fields:
            assert f" {f.name}" in text
    assert 'Book }o--|| Author : "author_id"' in text
    assert 'Book }o--o{ Tag : "tag_ids"' in text
    assert 'Author |o--|| Person : "person_id"' in text
    assert 'Loan }o--|| User : "owner_id"' in text
    assert "User {" in text
