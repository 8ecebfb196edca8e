"""A trained model directory: the only place the library spells its file names.

Contract (DESIGN, data contracts): ``model.pt`` (state dict + hyper-parameters),
``model.ts`` (TorchScript, inputs (n, d) → CVs (n, k)), ``history.csv``,
``eigenvalues.csv`` (``index, eigenvalue, std, timescale, unit``), ``readouts.csv``,
``cv.npz`` (CV values on the training data), ``run.json`` (device, wall time, chosen
step). With model selection also ``validation.csv``; a cross-fitted learner's
directory also ``members.csv`` and ``folds/<j>/`` (each a model directory).
Pure Python (no numpy, pandas or torch at import), so the workflow's planning layer can
use it; the readers and writers import what they need.
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
#: Files every training job (``train`` and ``train_fold``) writes.
ALWAYS = ("model", "torchscript", "history", "eigenvalues", "readouts", "cv", "run")
#: Learner kinds that choose their model on validation frames (``selects_model``).
SELECTING_KINDS = ("generator",)


def written(settings: dict, member: bool = False) -> tuple[str, ...]:
    """Keys of the files a ``train`` job (``member``: a ``train_fold`` job) writes for a
    learner with ``settings``: :data:`ALWAYS`, then

    - ``validation`` (validation.csv) with model selection: a kind in
      :data:`SELECTING_KINDS`, ``validate_every`` > 0 and ``validation`` > 0 or
      ``folds`` > 1 (a member chooses its model on its fold, and the ``train`` job of a
      cross-fitted learner gathers the members' scores);
    - ``members`` (members.csv): the ``train`` job of a cross-fitted learner
      (``folds`` > 1) with ``holdout`` > 0.

    A ``validation`` or ``holdout`` fraction of the dataset that rounds to no frame
    writes neither file.
    """
    folds = int(settings.get("folds") or 0)
    keys = list(ALWAYS)
    if (settings.get("kind") in SELECTING_KINDS and int(settings.get("validate_every") or 0) > 0
            and (folds > 1 or float(settings.get("validation") or 0) > 0)):
        keys.append("validation")
    if not member and folds > 1 and float(settings.get("holdout") or 0) > 0:
        keys.append("members")
    return tuple(keys)


@dataclass(frozen=True)
class ModelDir:
    """Paths of one model directory (``root``), and readers/writers of its small files."""

    root: Path

    def __init__(self, root: str | Path | ModelDir):
        object.__setattr__(self, "root", Path(root))

    def __fspath__(self) -> str:
        return str(self.root)

    @classmethod
    def of(cls, file: str | Path) -> ModelDir:
        """The model directory holding ``file`` (e.g. a rule's declared model.pt)."""
        return cls(Path(file).parent)

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

    def update_run(self, **fields) -> None:
        """Add ``fields`` to run.json (existing keys keep their place)."""
        self.write_run({**self.read_run(), **fields})

    def _table_path(self, key: str) -> Path:
        if key == "members":
            return self.members
        if key not in FILES or not FILES[key].endswith(".csv"):
            tables = [k for k, name in FILES.items() if name.endswith(".csv")] + ["members"]
            raise KeyError(f"{key!r} is not a table of a model directory; tables: {tables}")
        return self.root / FILES[key]

    def read_table(self, key: str, **kwargs):
        """A csv file (``history``, ``eigenvalues``, ``readouts``, ``validation``,
        ``members``) as a pandas DataFrame; ``kwargs`` go to ``pandas.read_csv``."""
        import pandas as pd

        return pd.read_csv(self._table_path(key), **kwargs)

    def write_table(self, key: str, table) -> None:
        """Write a DataFrame to the csv file ``key`` (no index column)."""
        self.root.mkdir(parents=True, exist_ok=True)
        table.to_csv(self._table_path(key), index=False)

    def read_cv(self) -> dict:
        """The arrays of cv.npz by name (at least ``cv`` (n, k))."""
        import numpy as np

        with np.load(self.cv) as data:
            return {k: data[k] for k in data.files}

    def write_cv(self, arrays: dict) -> None:
        """Write cv.npz from arrays by name."""
        import numpy as np

        self.root.mkdir(parents=True, exist_ok=True)
        np.savez(self.cv, **arrays)

    def load_torchscript(self, device: str = "cpu"):
        """The TorchScript CV model (model.ts): inputs (n, d) → CVs (n, k)."""
        import torch

        return torch.jit.load(str(self.torchscript), map_location=device)

    def load_state(self, device: str = "cpu") -> dict:
        """model.pt: ``state_dict``, ``class`` (the model's class name), ``hyperparameters``."""
        import torch

        return torch.load(self.model, map_location=device, weights_only=False)
