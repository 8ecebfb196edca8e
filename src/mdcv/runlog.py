"""Logging of workflow scripts: stderr and the logging module into the rule's log file."""

from __future__ import annotations

import logging
import sys
from pathlib import Path


def to_file(path: str | Path, level: int = logging.INFO) -> None:
    """Send stderr and log records to ``path`` (emptied first, then opened for appending).

    Append mode lets subprocesses (``gmx``) write to the same file without clobbering.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("")
    sys.stderr = open(path, "a", buffering=1)  # open for the script's lifetime
    logging.basicConfig(stream=sys.stderr, level=level, force=True,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
