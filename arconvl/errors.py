"""The one exception family the command line turns into a one-line message (exit code 2)."""


class ArconvlError(Exception):
    """A problem the user can fix: bad arguments, missing or unreadable data, a clashing run."""


class DataError(ArconvlError):
    """Dataset files are missing, unreadable or malformed."""


class ConfigError(ArconvlError):
    """An unknown name or a value out of range in the run configuration."""


class NumericalFault(Exception):
    """Training produced a NaN or infinite loss; ``epoch`` (1-based) is where it was seen."""

    def __init__(self, epoch, reason):
        super().__init__(f"epoch {epoch}: {reason}")
        self.epoch = epoch
        self.reason = reason
