"""Export of verified projects: to any git remote (``git_remote``), to GitHub (``github``).

The text codebegen writes there (commit messages, pull request bodies, the spec diff) lives
in ``message``. The CLI's ``codebegen export`` and the studio's "Push to git" call these.
"""

from codebegen.export.git_remote import DEFAULT_BRANCH, ExportResult, export_project

__all__ = ["DEFAULT_BRANCH", "ExportResult", "export_project"]
