"""The user guide and the docs: short README, correct citations, every relative link resolves."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")),
        *sorted((ROOT / "config").glob("*.md"))]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def relative_links(path: Path) -> list[str]:
    """Targets of the Markdown links in ``path`` that point into the repository."""
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)  # code blocks hold no links
    return [t for t in LINK.findall(text)
            if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    missing = [t for t in relative_links(path)
               if not (path.parent / t.split("#", 1)[0]).exists()]
    assert not missing, f"{path.relative_to(ROOT)}: links to missing files {missing}"


def test_link_finder_sees_links_and_skips_urls(tmp_path):
    page = tmp_path / "p.md"
    page.write_text("[a](docs/x.md) ![f](fig.png) [u](https://x.org) [s](#top)\n"
                    "```\n[c](in/code.md)\n```\n")
    assert relative_links(page) == ["docs/x.md", "fig.png"]


def test_readme_is_a_short_guide():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 250
    for command in ("make study", "make test", "make experiment", "make publish"):
        assert command in text
    assert "docs/methods.md" in text


def test_readme_cites_the_papers_correctly():
    text = " ".join((ROOT / "README.md").read_text().split())
    assert "Zhang, Li & Schütte" in text and "J. Comput. Phys. 465 (2022) 111377" in text
    assert "Zhang & Schütte" in text and "PAMM" in text
    assert "Lelièvre, Pigeon, Stoltz & Zhang" in text and "J. Phys. Chem. B (2024)" in text
    assert "Hartmann" not in text


def test_readme_holds_no_measured_eigenvalues():
    """Measured results live in the snapshots (docs/results/), not in the guide."""
    text = (ROOT / "README.md").read_text()
    assert "±" not in text and "ns⁻¹ =" not in text
