"""The ER diagram labels ids as the integers they are; the Code tab opens a file, never blank."""

from __future__ import annotations

from codebegen.studio import schema_table
from codebegen.studio.pages.generate import opening_file


def test_the_diagram_labels_ids_as_integers() -> None:
    spec = {"auth": True, "entities": [{"name": "Book", "fields": [{"name": "title", "type": "str"}]}]}
    text = schema_table.mermaid(spec)
    assert "int id PK" in text and "uuid id" not in text


def test_the_code_tab_opens_the_readme_or_the_app() -> None:
    assert opening_file(["app/crud.py", "README.md", "app/main.py"]) == "README.md"
    assert opening_file(["app/crud.py", "app/main.py"]) == "app/main.py"
    assert opening_file(["pyproject.toml"]) == "pyproject.toml"
    assert opening_file([]) is None
