"""The verification gate: the checks a generated project must pass before it is handed over.

``verify`` runs them; ``runtime`` builds the environments they run in; ``process_group``,
``health_probe`` and ``scratch_database`` start and probe what a check needs; ``project_imports``
and ``output_excerpt`` read what a check found; ``trust_report`` holds the result. Nothing in
here imports a pipeline stage, the studio or the CLI.
"""
