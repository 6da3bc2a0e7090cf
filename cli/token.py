"""``imvo token hash`` and ``imvo token new``: API tokens kept as hashes (docs/security.md#tokens).

``IMVO_API_TOKENS`` may hold ``NAME:sha256:<hex>=ROLE`` instead of the token
itself; these commands make that entry.  A token is read from standard input
(or a hidden prompt), never from the command line, so it stays out of the
shell's history and the process list.
"""
from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from imvo.kernel.tokens import hash_token, new_token, valid_name
from imvo.queries.access import viewer_for_role

__all__ = ["token_app"]

token_app = typer.Typer(no_args_is_help=True, help="API tokens as hashes, for IMVO_API_TOKENS.")
_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)


def _entry(token: str, name: str | None, role: str | None) -> str:
    secret = f"{name}:{hash_token(token)}" if name else hash_token(token)
    return f"{secret}={role}" if role else secret


def _check(name: str | None, role: str | None) -> None:
    if name is not None and not valid_name(name):
        _err.print("error: a token name is 1-64 letters, digits, '.', '_' or '-'", markup=False)
        raise typer.Exit(1)
    if role is not None:
        try:
            viewer_for_role(role)
        except ValueError as exc:
            _err.print(f"error: {exc}", markup=False)
            raise typer.Exit(1) from None


@token_app.command("hash")
def hash_(
    name: Annotated[str | None, typer.Option(help="a name for the audit log")] = None,
    role: Annotated[str | None, typer.Option(help="secretariat | public | company:<id>: print a whole "
                                                  "IMVO_API_TOKENS entry")] = None,
) -> None:
    """Print the hash of a token read from standard input (or a hidden prompt): sha256:<hex>."""
    _check(name, role)
    token = typer.prompt("token", hide_input=True) if sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    if not token.strip() or "," in token or "=" in token:
        _err.print("error: a token must not be empty nor contain ',' or '='", markup=False)
        raise typer.Exit(1)
    _out.print(_entry(token.strip(), name, role), markup=False)


@token_app.command("new")
def new(
    name: Annotated[str, typer.Option(help="a name for the audit log")],
    role: Annotated[str, typer.Option(help="secretariat | public | company:<id>")],
) -> None:
    """Make a random token: the token (give it to its holder; shown once) on stderr, the entry for
    IMVO_API_TOKENS on stdout."""
    _check(name, role)
    token = new_token()
    _err.print(f"token (shown once): {token}", markup=False)
    _out.print(_entry(token, name, role), markup=False)
