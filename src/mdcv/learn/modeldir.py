"""A trained model directory: the only place the library spells its file names.

Contract (DESIGN, data contracts): ``model.pt`` (state dict + hyper-parameters),
``model.ts`` (TorchScript, inputs (n, d) → CVs (n, k)), ``history.csv``,
``eigenvalues.csv`` (``index, eigenvalue, std, timescale, unit``), ``readouts.csv``,
``cv.npz`` (CV values on the training data), ``run.json`` (device, wall time, chosen
step). With model selection also ``validation.csv``; a cross-fitted learner's
directory also ``members.csv`` and ``folds/<j>/`` (each a model directory).
Pure Python (no torch at import), so the workflow's planning layer can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

#: Files every model directory holds, in the order rules declare them.
FILES = {
    "model": "model.pt",
    "torchscript": "model.ts",
    "history": "history.csv",
    "eigenvalues": "eigenvalues.csv",
    "readouts": "readouts.csv",
    "cv": "cv.npz",
    "run": "run.json",
    "validation": "validation.csv",
}
#: Written by the ``train`` job of a cross-fitted learner only.
MEMBERS = "members.csv"


@dataclass(frozen=True)
class ModelDir:
    """Paths of one model directory (``root``), and readers/writers of its small files."""

    root: Path

    def __init__(self, root: str | Path):
        object.__setattr__(self, "root", Path(root))

    def __getattr__(self, key: str) -> Path:
        if key in FILES:
            return self.root / FILES[key]
        raise AttributeError(key)

    @property
    def members(self) -> Path:
        return self.root / MEMBERS

    def fold(self, j: int) -> ModelDir:
        """The model directory of cross-fitting member ``j``."""
        return ModelDir(self.root / "folds" / str(int(j)))

    def files(self) -> dict[str, Path]:
        """Every contract file by its key (as rule outputs name them)."""
        return {key: self.root / name for key, name in FILES.items()}

    def read_run(self) -> dict:
        return json.loads(self.run.read_text())

    def write_run(self, info: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.run.write_text(json.dumps(info, indent=2, default=float))
