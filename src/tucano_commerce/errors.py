"""The few error types the toolkit raises on purpose.

Every message says what went wrong and what to do about it. The CLI catches ``TucanoError`` and
prints its message; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class TucanoError(Exception):
    """Base class for errors that are shown to the user as a message, not a traceback."""


class ConfigError(TucanoError):
    """A config file, CLI option or environment variable is missing or invalid."""


class DataError(TucanoError):
    """An input data file is missing, malformed or does not match what was expected."""


class UnknownNameError(TucanoError, KeyError):
    """A registry lookup failed; the message lists the valid names."""

    def __str__(self) -> str:  # KeyError would wrap the message in quotes
        return str(self.args[0]) if self.args else ""
