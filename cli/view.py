"""``imvo view KIND ID -o FILE.html``: write the page ``GET /views/...`` serves, to a file.

Registered in :mod:`imvo.cli.main` with ``app.command("view")(view_command)``; no web framework
is imported here (the page is built by :mod:`imvo.viz`).
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from imvo.kernel.errors import ImvoError

__all__ = ["view_command"]

_err = Console(stderr=True, highlight=False)
_out = Console(highlight=False)


def view_command(
    kind: Annotated[str, typer.Argument(help="factory | company | covenant | country | path")],
    ids: Annotated[list[str], typer.Argument(help="the id (a country code for country); for path two ids, "
                                                  "as 'A B' or 'A,B'", show_default=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="the HTML file to write")],
    role: Annotated[str, typer.Option("--as", help="whose view: public, secretariat or company:<id>")] = "public",
    as_of: Annotated[str | None, typer.Option("--as-of", help="the date to look at, YYYY-MM-DD "
                                                                 "(default today)")] = None,
) -> None:
    """Write a network view as a self-contained HTML page (the same page the API serves).

    The default role is public, so a file written without --as never names a
    confidential supplier; pass --as secretariat for the full picture.
    """
    from imvo.graph import open_store
    from imvo.kernel.settings import get_settings
    from imvo.queries.access import viewer_for_role
    from imvo.queries.args import parse_as_of
    from imvo.viz.render import render_html
    from imvo.viz.views import build_view

    if kind == "path" and len(ids) == 1 and "," in ids[0]:
        ids = ids[0].split(",", 1)
    try:
        viewer = viewer_for_role(role)
        date = parse_as_of(as_of, "--as-of")
        store = open_store(**get_settings().store_options())
        try:
            g = build_view(store, viewer, kind, ids, as_of=date)
        finally:
            store.close()
        html = render_html(g)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(html, encoding="utf-8")
    except (ImvoError, ValueError) as exc:
        _err.print(f"error: {exc}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        _err.print(f"error: cannot write {output}: {exc.strerror}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None
    extra = " (aggregated)" if g.aggregated else ""
    _out.print(f"wrote {output}: {g.kind} view of {g.subject}{extra}, {len(g.nodes)} nodes, "
               f"{len(g.edges)} edges, as {g.viewer}, on {g.as_of.isoformat()}", markup=False)
