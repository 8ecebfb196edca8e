"""Logging set-up for workflow scripts: everything (log records, warnings, uncaught
exceptions) goes to the rule's log file as well as stderr, with timestamps.

The file is emptied first, then written in append mode, so that subprocesses that
append to the same file (``gmx``, see :func:`mdcv.md.gromacs.run`) do not clobber it.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path


def setup(log_file: str | Path | None, level: int = logging.INFO) -> logging.Logger:
    """Send logging (and uncaught exceptions) to ``log_file`` and stderr."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        Path(log_file).write_text("")
        handlers.append(logging.FileHandler(log_file, mode="a"))
    logging.basicConfig(level=level, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.captureWarnings(True)
    warnings.simplefilter("default")
    logger = logging.getLogger("mdcv")

    def excepthook(exc_type, exc, tb):
        logger.error("failed: %s: %s", exc_type.__name__, exc, exc_info=(exc_type, exc, tb))

    sys.excepthook = excepthook
    return logger
