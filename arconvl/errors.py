"""The one exception family the command line turns into a one-line message (exit code 2)."""


class ArconvlError(Exception):
    """A problem the user can fix: bad arguments, missing or unreadable data, a clashing run."""


class DataError(ArconvlError):
    """Dataset files are missing, unreadable or malformed."""


class ConfigError(ArconvlError):
    """An unknown name or a value out of range in the run configuration."""
