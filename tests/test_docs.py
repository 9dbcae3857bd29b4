"""The documentation: the site builds with ``mkdocs build --strict``, the README stays short and its
links resolve, and nothing cites a document that is not in the repository.

mkdocs.yml's ``validation:`` section makes a link to a missing page, a missing anchor or an
absolute link a warning, and ``strict: true`` makes every warning fail the build; the self-test
below shows that a broken link does fail it, so a passing build means the links hold.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README_MAX_LINES = 300
# Markdown links and images, [text](target) and ![alt](target): the target in <...>, or up to a space or ")".
LINK = re.compile(r"!?\[[^\]]*\]\(\s*(?:<([^>]+)>|([^)\s]+))(?:\s+\"[^\"]*\")?\s*\)")
# Documents that live outside the repository, spelt apart so this file does not cite them itself.
OUTSIDE_DOCUMENTS = [re.compile(r"\bCON" + r"TRACT\b"), re.compile(r"\bDES" + r"IGN\.md\b")]


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config), "--site-dir", str(site)],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_site_builds_strict(tmp_path: Path) -> None:
    result = mkdocs_build(REPO / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize(
    ("link", "complaint"),
    [("no-such-page.md", "no-such-page.md"), ("gate.md#no-such-heading", "no-such-heading")],
    ids=["missing page", "missing anchor"],
)
def test_a_broken_link_fails_the_build(tmp_path: Path, link: str, complaint: str) -> None:
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copy(REPO / "mkdocs.yml", tmp_path / "mkdocs.yml")
    with (tmp_path / "docs" / "index.md").open("a", encoding="utf-8") as page:
        page.write(f"\nA [broken link]({link}).\n")
    result = mkdocs_build(tmp_path / "mkdocs.yml", tmp_path / "site")
    assert result.returncode != 0, "a broken link did not fail the strict build"
    assert complaint in result.stdout + result.stderr


def test_readme_is_short() -> None:
    lines = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


def relative_links(markdown: str) -> list[str]:
    """The link targets of ``markdown`` that point into the repository (no scheme, no bare anchor)."""
    targets = [m.group(1) or m.group(2) for m in LINK.finditer(markdown)]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")]


def test_relative_links_finds_the_links() -> None:
    text = "See [a](docs/a.md#x), ![b](docs/b.png), [c](https://example.com), [d](#here), [e](<docs/e f.md>)."
    assert relative_links(text) == ["docs/a.md#x", "docs/b.png", "docs/e f.md"]


def test_readme_links_point_at_files() -> None:
    links = relative_links((REPO / "README.md").read_text(encoding="utf-8"))
    assert links, "no relative links found in README.md"
    missing = [t for t in links if not (REPO / t.split("#", 1)[0]).exists()]
    assert not missing, f"README.md links to files that do not exist: {missing}"


def tracked_text_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    return [REPO / line for line in out.splitlines() if line]


def test_no_citation_of_documents_outside_the_repository() -> None:
    found = []
    for path in tracked_text_files():
        if path == Path(__file__).resolve() or not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # images, the adapters' weights
            continue
        text = data.decode("utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if any(pattern.search(line) for pattern in OUTSIDE_DOCUMENTS):
                found.append(f"{path.relative_to(REPO)}:{number}: {line.strip()}")
    assert not found, "cite the project's own docs/ pages instead:\n" + "\n".join(found)
