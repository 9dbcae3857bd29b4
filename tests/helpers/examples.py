"""Example inputs more than one test module uses: the lending-library spec (sign-in, an owned entity,
a required reference; rendered once per session as the ``pristine`` fixture of tests/conftest.py)
and a nine-entity prompt as people write it."""

from __future__ import annotations

from typing import Any

# The gate's exploit pack has something to attack in it: users, tokens, owned rows (Loan), an enum.
LIBRARY_SPEC: dict[str, Any] = {
    "name": "library",
    "description": "Lending library API",
    "auth": True,
    "entities": [
        {"name": "Book", "owned": False, "fields": [
            {"name": "title", "type": "str", "required": True, "unique": False},
            {"name": "status", "type": "enum", "values": ["available", "lent"], "required": True},
        ]},
        {"name": "Loan", "owned": True, "fields": [
            {"name": "due", "type": "date", "required": True, "unique": False},
        ]},
    ],
    "relationships": [{"source": "Loan", "target": "Book", "kind": "many_to_one", "required": True}],
}  # fmt: skip


# The parse stage's nine-entity prompt (the old 900-token cap stopped its decode mid-spec).
NINE = (
    "A school management system. Students have a first name, a last name and a date of birth. Teachers have a "
    "name and an email. Courses have a title and a credit count. Classrooms have a room number and a capacity. "
    "Terms have a name, a start date and an end date. Enrollments link a student and a course with a grade. "
    "Assignments have a title, a due date and a maximum score and belong to a course. Submissions have a "
    "submitted time and a score; each submission is for one assignment by one student. Guardians have a name "
    "and a phone number and each guardian belongs to a student. Teachers log in."
)
