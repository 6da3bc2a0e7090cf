"""The project's exceptions: one root, mapped to exit codes / HTTP / GraphQL errors at the edges."""
from __future__ import annotations

__all__ = [
    "AccessDenied",
    "ConfigError",
    "ImvoError",
    "InvalidInput",
    "NotFound",
    "StoreUnavailable",
    "TooExpensive",
]


class ImvoError(Exception):
    """Root of every error a user can cause or meet; its message is one line for the user."""


class StoreUnavailable(ImvoError):
    """The graph store cannot be reached or read (e.g. Neo4j is down, a corrupt store file)."""


class InvalidInput(ImvoError):
    """An argument or input value is not acceptable."""


class NotFound(InvalidInput):
    """The requested entity does not exist."""


class AccessDenied(ImvoError):
    """The viewer may not see what was asked for."""


class ConfigError(ImvoError):
    """A setting (environment variable) has a value that cannot be used."""


class TooExpensive(InvalidInput):
    """A request would cost more than the budget allows (query cost, time, size)."""
