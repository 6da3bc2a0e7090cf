"""The project's exceptions: one root, mapped to exit codes / HTTP / GraphQL errors at the edges."""
from __future__ import annotations

__all__ = ["ImvoError", "StoreUnavailable", "InvalidInput", "NotFound", "AccessDenied"]


class ImvoError(Exception):
    """Root of every error a user can cause or meet; its message is one line for the user."""


class StoreUnavailable(ImvoError):
    """The graph store cannot be reached (e.g. Neo4j is down)."""


class InvalidInput(ImvoError):
    """An argument or input value is not acceptable."""


class NotFound(ImvoError):
    """The requested entity does not exist."""


class AccessDenied(ImvoError):
    """The viewer may not see what was asked for."""
