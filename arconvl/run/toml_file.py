"""Reading a TOML file, with a one-line ``ConfigError`` for a missing or malformed one."""

import tomllib

from arconvl.errors import ConfigError


def read_toml(path, what="config"):
    """The parsed TOML of ``path``; ``what`` names the file's role in error messages."""
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read {what} {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{what} {path} is not valid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{what} {path} is not valid TOML: not UTF-8 text ({error.reason} at byte "
                          f"{error.start})") from None
