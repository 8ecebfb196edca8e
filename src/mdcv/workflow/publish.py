"""Published snapshots: a finished run's summary and key figures copied into ``docs/``.

A snapshot (``docs/results/<run>/``) holds the run's summary page (``index.md``), the
CSVs it shows, ``provenance.json`` and a few key figures as small PNGs, and is
committed. It stays as it was made: publishing over an existing snapshot needs
``force``; a hand-written ``NOTE.md`` in it is kept and linked from the page.
"""

from __future__ import annotations

import fnmatch
import shutil
from pathlib import Path

from mdcv.errors import MdcvError

#: Figures a snapshot keeps (file-name patterns in the run's figures folder).
KEY_FIGURES = (
    "toy_*_eigenfunctions.png",
    "toy_*_autoencoders.png",
    "md_*_pmf.png",
    "alanine_*_data.png",
    "alanine_*_convergence.png",
    "alanine_*_generator-uniform.png",
    "alanine_*_msm_bd.png",
    "alanine_*_study.png",
    "cv_loop.png",
)
NOTE = "NOTE.md"


def key_figures(figures_dir: str | Path, patterns=KEY_FIGURES) -> list[Path]:
    """The run's figures matching ``patterns``, sorted by name."""
    folder = Path(figures_dir)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if any(fnmatch.fnmatch(p.name, pat) for pat in patterns))


def small_png(source: Path, target: Path, max_px: int = 1000) -> None:
    """Copy a PNG, shrunk so that its longer side is at most ``max_px`` pixels."""
    from PIL import Image

    with Image.open(source) as img:
        if max(img.size) <= max_px:
            shutil.copyfile(source, target)
            return
        img.thumbnail((max_px, max_px))
        img.save(target, optimize=True)


def publish(summary_dir: str | Path, figures_dir: str | Path, dest: str | Path,
            force: bool = False, max_px: int = 1000) -> list[Path]:
    """Copy the summary in ``summary_dir`` and the key figures into ``dest``; return its files.

    Raises MdcvError when the summary is missing (run the study first) or when ``dest``
    already holds a snapshot and ``force`` is not set.
    """
    summary_dir, dest = Path(summary_dir), Path(dest)
    index = summary_dir / "index.md"
    if not index.is_file():
        raise MdcvError(f"{index} does not exist: finish the run (its default target ends "
                        f"with the summary) before publishing it")
    if (dest / "index.md").exists() and not force:
        raise MdcvError(f"{dest} already holds a snapshot, which stays as it was made; "
                        f"publish under another name, or pass --force to replace it")
    note = (dest / NOTE).read_text() if (dest / NOTE).is_file() else None
    if dest.exists():
        shutil.rmtree(dest)
    (dest / "figures").mkdir(parents=True)
    written = []
    for path in sorted(summary_dir.iterdir()):
        if path.suffix in (".csv", ".json"):
            shutil.copyfile(path, dest / path.name)
            written.append(dest / path.name)
    figures = key_figures(figures_dir)
    for fig in figures:
        small_png(fig, dest / "figures" / fig.name, max_px)
        written.append(dest / "figures" / fig.name)
    text = index.read_text().rstrip("\n")
    if note is not None:
        (dest / NOTE).write_text(note)
        text += f"\n\n## Note\n\nSee [{NOTE}]({NOTE}).\n"
    if figures:
        text += "\n\n## Key figures\n\n" + "\n".join(
            f"![{fig.stem}](figures/{fig.name})" for fig in figures) + "\n"
    (dest / "index.md").write_text(text.rstrip("\n") + "\n")
    return [dest / "index.md", *written]
