"""Iteration: a new version of an existing project, keeping the user's code and data.

Modules:

- diff       what changed between two ProjectSpecs (renames explicit)
- change     a change in words read against the current spec
- merge      the three-way merge of every file (``git merge-file``)
- migration  the new Alembic revision for the difference (autogenerate at the previous head)
- iterate    the orchestration, as the pipeline's typed events

The merge base (the pristine generated output kept under ``.codebegen/base/``) is
``codebegen.merge_base``: ``generate --force`` reads it too, so it sits below both.
"""
