"""`imvo matches ...`: the review queue of possible factory matches.

Registered in :mod:`imvo.cli.main` with ``app.add_typer(matches_app, name="matches")``.
A pair is an incoming factory (from a brand list or an Open Supply Hub file)
that may be a factory the store already holds; its rows wait until someone
decides.  ``accept`` loads them into the existing factory, ``reject`` loads
them as a new factory; either way the decision is remembered, so the same list
uploaded again asks nothing again.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from imvo.kernel.errors import ImvoError
from imvo.kernel.settings import get_settings

if TYPE_CHECKING:
    from imvo.ingest.review import ReviewQueue

__all__ = ["matches_app"]

matches_app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False,
                          help="Review possible factory matches (brand lists, Open Supply Hub).")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@contextmanager
def _queue() -> Iterator[ReviewQueue]:
    from imvo.ingest.review import FILE_NAME, ReviewQueue
    try:
        with ReviewQueue(get_settings().data_dir / FILE_NAME) as q:
            yield q
    except ImvoError as exc:
        err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


@matches_app.command("list")
def list_(
    all_: Annotated[bool, typer.Option("--all", help="decided pairs too")] = False,
    above: Annotated[float | None, typer.Option(help="only pairs scoring at least this")] = None,
) -> None:
    """Pairs waiting for a decision (best score first)."""
    with _queue() as q:
        pairs = q.pairs(None if all_ else "pending", above)
        counts = {p.id: q.held_count(p.id) for p in pairs}
    if not pairs:
        out.print("no pairs waiting for review" if not all_ else "no pairs")
        return
    table = Table("pair", "score", "status", "incoming (country, name, address)", "existing factory",
                  "rows", show_lines=True)
    for p in pairs:
        table.add_row(str(p.id), f"{p.score:.1f}", p.status,
                      f"{p.country}  {p.name}\n{p.address or '(no address)'}\n[dim]{p.source or ''}[/dim]",
                      f"{p.candidate_id}  {p.candidate_name or ''}\n{p.candidate_address or '(no address)'}",
                      str(counts[p.id]))
    out.print(table)
    out.print("decide with: imvo matches accept PAIR | imvo matches reject PAIR")


def _decide(pair_ids: list[int], accept: bool) -> None:
    from imvo.graph import open_store
    from imvo.ingest.sites import apply_decisions
    with _queue() as q:
        try:
            store = open_store(**get_settings().store_options())
            try:
                decisions = apply_decisions(store, q, pair_ids, accept)
            finally:
                store.close()
        except ImvoError as exc:
            err.print(f"error: {exc}", markup=False, soft_wrap=True)
            raise typer.Exit(1) from None
    for d in decisions:
        if d.error:
            err.print(f"error: {d.error}", markup=False, soft_wrap=True)
            continue
        assert d.result is not None
        rows = sum(d.result.loaded.values())
        where = (f"merged into {d.factory_id}" if d.result.merged
                 else f"loaded as a new factory {d.factory_id or ''}".rstrip())
        out.print(f"pair {d.pair_id} {'accepted' if accept else 'rejected'}: {rows} waiting row(s) {where}",
                  markup=False)
        for r in d.result.rejects[:5]:
            out.print(f"  {r}", markup=False)
    if any(d.error for d in decisions):
        raise typer.Exit(1)


@matches_app.command()
def accept(pair_ids: Annotated[list[int], typer.Argument(help="pair id(s) from `imvo matches list`")]) -> None:
    """The same factory: load the waiting rows into the existing factory."""
    _decide(pair_ids, True)


@matches_app.command()
def reject(pair_ids: Annotated[list[int], typer.Argument(help="pair id(s) from `imvo matches list`")]) -> None:
    """Different factories: load the waiting rows as a new factory."""
    _decide(pair_ids, False)


@matches_app.command("accept-all")
def accept_all(
    above: Annotated[float, typer.Option(help="accept every pending pair scoring at least this")],
) -> None:
    """Accept every pending pair at or above a score."""
    with _queue() as q:
        ids = [p.id for p in q.pairs("pending", above)]
    if not ids:
        out.print(f"no pending pairs scoring {above:g} or more")
        return
    _decide(ids, True)
