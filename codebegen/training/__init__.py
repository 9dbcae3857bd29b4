"""Training: LoRA adapters for the four roles of the embedded default model (``codebegen train``).

Owns the training data of each role (``datasets``: the parser's generated prompt/spec pairs in
``specdata`` from the word stock in ``vocabulary``; the other roles' in ``roledata``), the
training run (``trainer``), measuring an adapter (``scoring``) and the command (``command``,
``python -m codebegen.training``). It uses the stages' own prompts and the model layer; the
engine never imports it.
"""
