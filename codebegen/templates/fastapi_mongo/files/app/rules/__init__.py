"""Business rules: the logic a CRUD template cannot express (totals, state machines, date checks).

Each entity has a module ``<entity>_rules.py`` whose ``before_save(row)`` runs before every
insert and update. ``row`` is the Beanie document about to be stored (attributes are validated
on assignment; references and many-to-many lists hold ObjectIds). Raise ``RuleViolation`` there
to answer the request with 422; a value changed on ``row`` is what gets stored.
codebegen's generator writes these modules from what the prompt asked for; they are yours to
extend.
"""


class RuleViolation(Exception):
    """A request that breaks a business rule; answered with 422 and this message."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
