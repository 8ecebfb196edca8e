"""The project's exceptions, in one place, so callers can catch them by name."""


class MdcvError(Exception):
    """Base class of every error raised on purpose by mdcv."""


class ConfigError(MdcvError, ValueError):
    """A configuration value is missing, unknown or out of range; the message names it."""


class DataError(MdcvError, ValueError):
    """A data file does not follow its contract (missing key, wrong shape, non-finite)."""


class TrainingDivergedError(MdcvError, RuntimeError):
    """Training produced a non-finite or exploding loss; the last good checkpoint is kept."""


class GromacsError(MdcvError, RuntimeError):
    """A gmx command failed; the message names the command and its log file."""
