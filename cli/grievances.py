"""`imvo grievances ...`: the secretariat's side of the complaints mechanism (README.md#complaints).

``show`` a grievance's steps and whom it was forwarded to, record an ``event``, ``forward`` it to
the active signatory buyers of its factory on its filing date.  The command line is the
secretariat's tool (it reads the store directly): it sees everything.  Thin over
:mod:`imvo.ingest.grievances`.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console

from imvo.kernel.errors import ImvoError
from imvo.kernel.settings import get_settings

__all__ = ["grievances_app"]

grievances_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                             help="The complaints mechanism (the secretariat): show, record steps, forward.")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _say(text: str) -> None:
    out.print(text, markup=False, soft_wrap=True, highlight=False)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ImvoError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def _store() -> Iterator[object]:
    from imvo.graph import open_store
    with _errors():
        store = open_store(**get_settings().store_options())
        try:
            yield store
        finally:
            store.close()


def _day(text: str | None, option: str) -> object:
    from imvo.queries.args import parse_as_of
    return parse_as_of(text, option)


@grievances_app.command("show")
def show(grievance_id: Annotated[str, typer.Argument(help="the grievance id")]) -> None:
    """A grievance: its current status, its steps and the buyers it was forwarded to."""
    from imvo.ingest.grievances import grievance
    from imvo.queries.access import SECRETARIAT
    from imvo.queries.grievances import facts
    with _store() as store:
        g = grievance(store, grievance_id)        # type: ignore[arg-type]
        f = facts(store, SECRETARIAT, [g.id])[g.id]   # type: ignore[arg-type]
    filed = g.props.get("filed_on")
    _say(f"{g.id}: {g.props.get('risk')}, filed {filed.isoformat() if filed else '?'}, status {f.status}")
    for e in f.events:
        _say(f"  {e.on.isoformat()}  {e.status}" + (f"  {e.note}" if e.note else ""))
    _say(f"forwarded to: {', '.join(f.forwarded_to) if f.forwarded_to else '-'}")


@grievances_app.command("event")
def event(
    grievance_id: Annotated[str, typer.Argument(help="the grievance id")],
    status: Annotated[str, typer.Argument(help="received, admissible, forwarded, in_dialogue, resolved "
                                               "or rejected")],
    on: Annotated[str | None, typer.Option("--on", help="the date of the step, YYYY-MM-DD (default today)")] = None,
    note: Annotated[str | None, typer.Option("--note", help="a note (shown to the secretariat only)")] = None,
) -> None:
    """Record a step of a grievance (the same grievance, status and date again only updates the note)."""
    from imvo.ingest.grievances import record_event
    with _errors():
        day = _day(on, "--on")
    with _store() as store:
        new = record_event(store, grievance_id.strip(), status.strip(), day, note)  # type: ignore[arg-type]
    _say(f"{'recorded' if new else 'updated'}: {grievance_id.strip()} {status.strip()} on {day}")


@grievances_app.command("forward")
def forward(
    grievance_id: Annotated[str, typer.Argument(help="the grievance id")],
    on: Annotated[str | None, typer.Option("--on", help="the date it is forwarded, YYYY-MM-DD "
                                                        "(default today)")] = None,
) -> None:
    """Forward a grievance to the active signatory buyers of its factory on its filing date (recorded:
    who was informed, and a `forwarded` step); forwarding again changes nothing."""
    from imvo.ingest.grievances import forward as forward_grievance
    with _errors():
        day = _day(on, "--on")
    with _store() as store:
        r = forward_grievance(store, grievance_id, day)  # type: ignore[arg-type]
    who = ", ".join(r.companies) if r.companies else "no active signatory buyer"
    if r.new:
        _say(f"forwarded {r.grievance.id} on {r.on.isoformat()} to {len(r.companies)}: {who}")
    else:
        _say(f"{r.grievance.id} was already forwarded on {r.on.isoformat()} to {len(r.companies)}: {who}; "
             f"nothing changed")
