"""`imvo matches ...`: the review queue of possible factory matches, and corrections.

Registered in :mod:`imvo.cli.main` with ``app.add_typer(matches_app, name="matches")``;
every command is a thin layer over :mod:`imvo.ingest.matches` (the Python API a
web page can call too).  A pair is an incoming factory (from a brand list or an
Open Supply Hub file) that may be a factory the store already holds; its rows wait
until someone decides.  ``accept`` loads them into the existing factory,
``reject`` loads them as a new factory, ``undo`` takes them out again; ``split``
and ``merge`` correct factories the matcher got wrong.  Every decision is
remembered, so the same list uploaded again asks nothing again.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from imvo.kernel.errors import ImvoError
from imvo.kernel.settings import get_settings

if TYPE_CHECKING:
    from imvo.graph.store import GraphStore
    from imvo.ingest.matches import Outcome

__all__ = ["matches_app"]

matches_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                          help="Review possible factory matches (brand lists, Open Supply Hub) and correct them.")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _queue_path() -> Path:
    from imvo.ingest.review import FILE_NAME
    try:
        return get_settings().data_dir / FILE_NAME
    except ImvoError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except ImvoError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _with_store(fn: Callable[[GraphStore, Path], Any]) -> Any:
    from imvo.graph import open_store
    path = _queue_path()
    with _errors():
        store = open_store(**get_settings().store_options())
        try:
            return fn(store, path)
        finally:
            store.close()


def _report(outcomes: list[Outcome]) -> None:
    for o in outcomes:
        if not o.ok:
            err.print(f"error: {o.message}", markup=False, soft_wrap=True)
            continue
        out.print(o.message, markup=False, soft_wrap=True)
        for r in o.rejects[:5]:
            out.print(f"  {r}", markup=False)
    if any(not o.ok for o in outcomes):
        raise typer.Exit(1)


def _evidence(e: dict[str, Any] | None) -> str:
    if not e:
        return ""
    s = e.get("score") or {}
    parts = [f"name {s.get('name')}", f"address {s.get('address') if s.get('address') is not None else '-'}"]
    text = ", ".join(parts) + "".join(f"\n{n}" for n in s.get("notes") or ())
    others = e.get("others") or []
    if others:
        text += "\nother candidates: " + "; ".join(f"{c['id']} {c.get('name') or ''} ({c['score']:.0f})"
                                                    for c in others)
    return text


@matches_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="decided pairs too")] = False,
    above: Annotated[float | None, typer.Option(help="only pairs scoring at least this")] = None,
) -> None:
    """Pairs waiting for a decision (best score first), with the evidence."""
    from imvo.ingest.matches import list_pairs
    with _errors():
        views = list_pairs(_queue_path(), None if all_ else "pending", above)
    if not views:
        out.print("no pairs waiting for review" if not all_ else "no pairs")
        return
    table = Table("pair", "score", "status", "incoming (country, name, address, source)", "existing factory",
                  "why", "rows", show_lines=True)
    for v in views:
        p = v.pair
        table.add_row(str(p.id), f"{p.score:.1f}", p.status,
                      f"{p.country}  {p.name}\n{p.address or '(no address)'}\n[dim]{p.source or ''}[/dim]",
                      f"{p.candidate_id}  {p.candidate_name or ''}\n{p.candidate_address or '(no address)'}",
                      _evidence(p.evidence), str(v.rows))
    out.print(table)
    out.print("decide with: imvo matches accept PAIR | imvo matches reject PAIR  (undo: imvo matches undo PAIR)")


@matches_app.command()
def show(what: Annotated[str, typer.Argument(help="a pair number, or a factory id")]) -> None:
    """A pair's evidence, or the input rows a factory is made of (their numbers are what split takes)."""
    from imvo.ingest.matches import factory_sites
    from imvo.ingest.review import ReviewQueue
    path = _queue_path()
    with _errors(), ReviewQueue(path) as q:
        if what.isdigit():
            p = q.get(int(what))
            out.print(f"pair {p.id} ({p.status}{', ' + p.decided_on if p.decided_on else ''}), score {p.score:.1f}",
                      markup=False)
            out.print(f"  incoming: {p.country} {p.name} | {p.address or '(no address)'} | {p.source or ''}",
                      markup=False)
            out.print(f"  existing: {p.candidate_id} {p.candidate_name or ''} | {p.candidate_address or ''}",
                      markup=False)
            out.print("  " + _evidence(p.evidence).replace("\n", "\n  "), markup=False)
            return
        sites = factory_sites(q, what)
    if not sites:
        out.print(f"no registered input rows for {what} (factories loaded from a canonical dataset have none)")
        return
    table = Table("row", "buyer", "name", "address", "from", "matched by", box=None)
    for s in sites:
        how = s.how + (f" (pair {s.pair_id})" if s.pair_id else "") + (", created it" if s.created else "")
        table.add_row(str(s.id), s.buyer or "", s.name, s.address or "", f"{s.origin.split(':', 2)[-1]}:{s.line}", how)
    out.print(table)
    out.print(f"split rows off with: imvo matches split {what} ROW [ROW ...]")


def _decide(pair_ids: list[int], verdict: str) -> None:
    from imvo.ingest.matches import decide
    _report(_with_store(lambda store, path: decide(store, path, [(p, verdict) for p in pair_ids])))


@matches_app.command()
def accept(pair_ids: Annotated[list[int], typer.Argument(help="pair id(s) from `imvo matches list`")]) -> None:
    """The same factory: load the waiting rows into the existing factory."""
    _decide(pair_ids, "accept")


@matches_app.command()
def reject(pair_ids: Annotated[list[int], typer.Argument(help="pair id(s) from `imvo matches list`")]) -> None:
    """Different factories: load the waiting rows as a new factory."""
    _decide(pair_ids, "reject")


@matches_app.command("accept-all")
def accept_all(
    above: Annotated[float, typer.Option(help="accept every pending pair scoring at least this")],
) -> None:
    """Accept every pending pair at or above a score."""
    from imvo.ingest.matches import list_pairs
    with _errors():
        ids = [v.pair.id for v in list_pairs(_queue_path(), "pending", above)]
    if not ids:
        out.print(f"no pending pairs scoring {above:g} or more")
        return
    _decide(ids, "accept")


@matches_app.command()
def undo(pair_ids: Annotated[list[int], typer.Argument(help="decided pair id(s) (`imvo matches list --all`)")]) -> None:
    """Undo decisions: their rows leave the graph again and wait; the pairs are pending."""
    from imvo.ingest.matches import undo as undo_
    _report(_with_store(lambda store, path: undo_(store, path, pair_ids)))


@matches_app.command()
def split(
    factory: Annotated[str, typer.Argument(help="the factory that is really two")],
    rows: Annotated[list[int] | None, typer.Argument(help="the row numbers to move out (`imvo matches show`)")] = None,
    buyer: Annotated[str | None, typer.Option(help="move out the rows of this buyer")] = None,
) -> None:
    """These rows of a factory are another factory: move them, with what they brought, to a new node."""
    from imvo.ingest.matches import factory_sites
    from imvo.ingest.matches import split as split_
    chosen = list(rows or [])
    if buyer:
        with _errors():
            chosen += [s.id for s in factory_sites(_queue_path(), factory) if buyer in (s.buyer or "").split(",")]
    if not chosen:
        err.print(f"error: name the rows to move out (see `imvo matches show {factory}`) or --buyer B", markup=False)
        raise typer.Exit(1)
    _report([_with_store(lambda store, path: split_(store, path, factory, chosen))])


@matches_app.command()
def merge(
    keep: Annotated[str, typer.Argument(help="the factory (or supplier) that stays")],
    other: Annotated[str, typer.Argument(help="the one that is the same and goes")],
    force: Annotated[bool, typer.Option(help="merge even across countries or OS IDs")] = False,
) -> None:
    """Two nodes of one factory (or supplier): the second folds into the first, provenance kept."""
    from imvo.ingest.matches import merge as merge_
    _report([_with_store(lambda store, path: merge_(store, path, keep, other, force))])


@matches_app.command()
def history(limit: Annotated[int, typer.Option(help="how many entries")] = 30) -> None:
    """What was decided or corrected, latest first."""
    from imvo.ingest.review import ReviewQueue
    with _errors(), ReviewQueue(_queue_path()) as q:
        rows = q.history(limit)
    if not rows:
        out.print("nothing decided yet")
    for at, action, detail in rows:
        out.print(f"{at}  {action:6}  " + ", ".join(f"{k}={v}" for k, v in detail.items()), markup=False)
