"""Reading a prompt deterministically, for the parse stage.

``grounding`` builds the per-prompt decoding schema from the prompt's own nouns, ``links`` reads
the relationships a prompt states in words, ``cleanup`` normalises a model's spec and merges in
what the prompt says. The stage itself (``codebegen.stages.parse``) calls them; they call no model.
"""
