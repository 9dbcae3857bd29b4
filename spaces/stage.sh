#!/usr/bin/env bash
# Lay out the Hugging Face Space repository in DIR: this folder's README.md (the Space's
# metadata), requirements.txt and app.py, beside this checkout's codebegen/ package (templates,
# adapters and prompts inside it) as it is in the working tree (commit first, so the Space is a known
# revision). Then upload DIR to the Space, e.g. `hf upload OWNER/SPACE DIR . --repo-type space`.
# tests/studio/test_space.py stages the Space this way and serves it from DIR.
set -euo pipefail
dir=${1:?usage: spaces/stage.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
mkdir -p "$dir"
cp "$here/README.md" "$here/requirements.txt" "$here/app.py" "$dir/"
tar -C "$repo" --exclude=__pycache__ --exclude='*.pyc' -cf - codebegen | tar -x -C "$dir"
echo "staged the Space in $dir"
