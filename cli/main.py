"""The `imvo` command line (README.md#command-line).

Every error a user can cause ends in one line on stderr and a non-zero exit
code, never a traceback: 0 success, 2 rows rejected, 1 fatal.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from imvo.kernel.errors import ImvoError
from imvo.kernel.settings import Settings, get_settings

if TYPE_CHECKING:
    from imvo.graph.store import GraphStore

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="IMVO leverage graph: covenants, supply chains and joint leverage.")
neo4j_app = typer.Typer(no_args_is_help=True, help="Run a local Neo4j (Java, no Docker needed).")
app.add_typer(neo4j_app, name="neo4j")


out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = PROJECT_ROOT / "samples" / "demo"


def _register_subcommands() -> None:
    from .grievances import grievances_app
    from .matches import matches_app
    from .token import token_app
    from .view import view_command
    app.command("view", help="Write a network view (the page the API serves) to an HTML file.")(view_command)
    app.add_typer(matches_app, name="matches", help="Review queue of uncertain factory matches.")
    app.add_typer(token_app, name="token", help="API tokens as hashes, for IMVO_API_TOKENS.")
    app.add_typer(grievances_app, name="grievances",
                  help="The complaints mechanism (the secretariat): show, record steps, forward.")


_register_subcommands()


def _say(text: str) -> None:
    """One line of a command's report: not wrapped, no markup (scripts read it)."""
    out.print(text, markup=False, soft_wrap=True, highlight=False)


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"error: {message}", markup=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    """ImvoError (and a few OS errors) -> one line and exit 1."""
    try:
        yield
    except ImvoError as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt:
        raise fail("interrupted", 130) from None


def _settings() -> Settings:
    """The settings, or one line naming the bad variable and exit 1."""
    try:
        return get_settings()
    except ImvoError as exc:
        raise fail(str(exc)) from None


def _open_store(settings: Settings | None = None) -> GraphStore:
    from imvo.graph import open_store
    return open_store(**(settings or _settings()).store_options())


@contextmanager
def _progress(enabled: bool = True) -> Iterator[Callable[[str, int], None]]:
    """A progress bar on stderr fed by ``(what, rows)`` calls."""
    if not enabled or not err.is_terminal:
        yield lambda what, n: None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task("reading", total=None)
        done = 0

        def update(what: str, n: int) -> None:
            nonlocal done
            done += n
            bar.update(task, description=what, completed=done)
        yield update


@app.command()
def ingest(
    path: Annotated[Path, typer.Argument(help="a dataset folder (canonical) or a file (oshub, brand-list)")],
    format: Annotated[str, typer.Option("--format", "-f", help="canonical | oshub | brand-list")] = "canonical",
    buyer: Annotated[str | None, typer.Option(help="the buying company (its id): whose list this is")] = None,
    buyer_column: Annotated[str | None, typer.Option("--buyer-column",
                                                     help="a column naming each row's buyer (compiled lists)")] = None,
    map: Annotated[Path | None, typer.Option("--map", help="a column mapping file (brand-list)")] = None,
    disclosure: Annotated[str | None, typer.Option(
        help="confidential | covenant | public (brand lists: confidential; Open Supply Hub: public)")] = None,
    reported_on: Annotated[str | None, typer.Option(help="the date the list describes, YYYY-MM-DD (default today)")]
    = None,
    replace: Annotated[bool, typer.Option("--replace", help="the file is the buyer's complete list on --reported-on: "
                                                            "its earlier links the file lacks end then")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="read, validate and match; write nothing")] = False,
    report: Annotated[Path | None, typer.Option(help="where to write the rejected rows (CSV)")] = None,
    bulk: Annotated[bool, typer.Option("--bulk", help="canonical into an empty local Neo4j (`imvo neo4j start`) "
                                                      "with Neo4j's offline importer: several times faster")] = False,
) -> None:
    """Load a dataset or a supplier list; rejected rows are reported and written to a report file (exit 2)."""
    from imvo.ingest import Preview, load_path
    from imvo.ingest.loader import no_gc
    from imvo.ingest.review import FILE_NAME as MATCHES_FILE
    from imvo.queries.args import parse_as_of
    settings = _settings()
    if not path.exists():
        raise fail(f"{path} does not exist")
    if format not in ("canonical", "oshub", "brand-list"):
        raise fail(f"unknown format {format!r}: use canonical, oshub or brand-list")
    preview = Preview()
    # the collector stays off for the whole command, not only while records are built: with millions of
    # records alive, one full collection between the phases paused the process for longer than the
    # Neo4j connection timeout (`--bulk` at 1M failed so, BENCHMARKS.md)
    with _user_errors(), no_gc():
        rdate = parse_as_of(reported_on, "--reported-on")
        if bulk:
            if dry_run or replace or buyer or buyer_column or map or disclosure:
                raise fail("--bulk loads a canonical dataset folder as it is (no brand-list options, no --dry-run)")
            result, store = _bulk_ingest(settings, path, format)
        else:
            store = _open_store(settings)
            try:
                with _progress(not dry_run) as progress:
                    result = load_path(store, path, format=format, buyer=buyer, buyer_column=buyer_column,
                                       mapping=map, reported_on=rdate, disclosure=disclosure, replace=replace,
                                       dry_run=dry_run, progress=progress, matches=settings.data_dir / MATCHES_FILE,
                                       preview=preview)
            finally:
                store.close()
    from imvo.ingest.sites import SiteLoadResult
    sites = result if isinstance(result, SiteLoadResult) else None
    if dry_run:
        _print_preview(preview, result, sites)
    else:
        n_rows = sum(result.loaded.values())
        _say(f"loaded {n_rows} rows into {store.describe()}")
        for name, n in result.loaded.items():
            _say(f"  {name}: {n} rows")
    if sites is not None:
        for note in dict.fromkeys(sites.notes):
            _say(f"note: {note}")
        if not dry_run:
            _say(f"factories: {sites.merged} rows matched existing ones, {sites.created} new; "
                      f"{sites.held} rows wait for a match decision"
                      + (": imvo matches list" if sites.held else ""))
        if sites.changes or replace:
            _say(f"links{' (would be)' if dry_run else ''}: {sites.count('added')} added, "
                      f"{sites.count('continued')} continued, {sites.count('ended')} ended")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    target = report or settings.data_dir / "reports" / f"ingest-{stamp}-rejects.csv"
    if sites is not None and sites.changes and not dry_run:
        from imvo.ingest.loader import write_changes
        changes = target.with_name(target.stem.replace("-rejects", "") + "-links.csv")
        try:
            write_changes(sites.changes, changes)
            _say(f"  every added, continued and ended link: {changes}")
        except OSError as exc:
            _say(f"  (could not write the link report to {changes}: {exc.strerror})")
    if result.rejects:
        from imvo.ingest.loader import write_report
        where = ""
        if not dry_run:
            try:
                write_report(result.rejects, target)
                where = f"; all of them in {target}"
            except OSError as exc:
                where = f" (could not write the report to {target}: {exc.strerror})"
        _say(f"{'would reject' if dry_run else 'rejected'} {len(result.rejects)} rows or values{where}")
        for r in result.rejects[:20]:
            _say(f"  {r}")
        if len(result.rejects) > 20:
            _say(f"  ... and {len(result.rejects) - 20} more")
    raise typer.Exit(result.exit_code)


def _bulk_ingest(settings: Settings, path: Path, format: str) -> tuple[Any, GraphStore]:
    """``imvo ingest --bulk``: the canonical loader, writing through the offline importer."""
    from imvo.graph import neo4j_launcher
    from imvo.graph.bulk import bulk_writer
    from imvo.graph.neo4j_store import Neo4jStore
    from imvo.ingest.canonical import load_batch, read_dataset
    if format != "canonical" or not path.is_dir():
        raise fail("--bulk loads a canonical dataset folder")
    instance = settings.data_dir / "neo4j"
    running = neo4j_launcher.read_state(instance)
    if settings.store != "neo4j" or running is None or running.uri != settings.neo4j_uri:
        raise fail("--bulk loads into the local Neo4j of `imvo neo4j start` (IMVO_STORE=neo4j and NEO4J_URI "
                   "set to the URI it prints); for another server load without --bulk")
    store = _open_store(settings)
    assert isinstance(store, Neo4jStore)
    try:
        if any(store.counts().nodes.values()):       # before reading the files, not after (1M: minutes)
            raise fail("--bulk loads into an empty database only (the importer replaces a database); this one "
                       "holds data: load without --bulk, or start from an empty one")
        with _progress() as progress:
            batch = read_dataset(path, progress)
            with bulk_writer(store, instance) as w:
                result = load_batch(w, batch, progress)
    finally:
        store.close()
    return result, store


@app.command()
def publish(
    as_of: Annotated[str | None, typer.Option("--as-of", help="the date the snapshot describes, YYYY-MM-DD "
                                                                 "(default today)")] = None,
) -> None:
    """Publish a snapshot (the secretariat): the basis of the otherBuyers estimates and the public list."""
    from imvo.queries.args import parse_as_of
    from imvo.queries.publish import publish as publish_snapshot
    from imvo.queries.publish import snapshots
    with _user_errors():
        day = parse_as_of(as_of, "--as-of")
        store = _open_store()
        try:
            result = publish_snapshot(store, day)
            published = snapshots(store)
        finally:
            store.close()
    out.print(f"published the snapshot of {result.as_of.isoformat()}: {result.factories} factories with active "
              f"signatory buyers ({result.counts} counts, per covenant and for any covenant)", markup=False)
    out.print(f"snapshots now published: {', '.join(d.isoformat() for d in published)}", markup=False)


def _print_preview(preview: object, result: object, sites: object) -> None:
    """What --dry-run prints: how each column is read, a few rows, what would happen."""
    from imvo.ingest import Preview
    from imvo.ingest.sites import SiteLoadResult
    assert isinstance(preview, Preview)
    _say(f"dry run: nothing was written. {preview.table}")
    if preview.columns:
        _say("columns:")
        width = max(len(c) for c, _ in preview.columns)
        for col, what in preview.columns:
            _say(f"  {col:<{width}} -> {what}")
    if preview.sample:
        _say("first rows as read:")
        for row in preview.sample:
            _say("  " + "; ".join(f"{k}={v}" for k, v in row.items()))
    if isinstance(sites, SiteLoadResult):
        _say(f"rows: {sites.rows}; would be matched to existing factories: {sites.merged}, "
                  f"new factories: {sites.created}, held for review: {sites.held}")


@app.command()
def status() -> None:
    """The store in use and its node / relationship counts per label and type."""
    with _user_errors():
        store = _open_store()
        try:
            counts = store.counts()
        finally:
            store.close()
    out.print(f"store: {store.describe()}")
    table = Table("label / type", "count", box=None)
    for label, n in counts.nodes.items():
        table.add_row(f"(:{label})", str(n))
    for type_, n in counts.rels.items():
        table.add_row(f"[:{type_}]", str(n))
    out.print(table)
    out.print(f"total: {sum(counts.nodes.values())} nodes, {sum(counts.rels.values())} relationships")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the GraphQL API (/graphql), the network views (/views/...) and /health."""
    import uvicorn
    settings = _settings()
    with _user_errors():
        _open_store(settings).close()      # a bad store setting is one line here, not a traceback in a worker
        from imvo.api.app import create_app
        create_app(settings)               # likewise bad tokens
        if workers > 1:
            uvicorn.run("imvo.api.app:create_app", factory=True, host=host, port=port, workers=workers,
                        log_level="info")
        else:
            uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
) -> None:
    """Load the bundled sample into a fresh embedded store and serve it."""
    from imvo.ingest.canonical import ingest_dir
    settings = _settings()
    data_dir = settings.data_dir / "demo"
    shutil.rmtree(data_dir, ignore_errors=True)
    os.environ["IMVO_STORE"] = "embedded"
    os.environ["IMVO_DATA_DIR"] = str(data_dir)
    if not os.environ.get("IMVO_API_TOKENS"):
        os.environ["IMVO_API_TOKENS"] = "demo-secretariat=secretariat"
    get_settings.cache_clear()
    with _user_errors():
        store = _open_store()
        with _progress() as progress:
            result = ingest_dir(store, SAMPLE_DIR, progress)
    out.print(f"loaded the sample ({sum(result.loaded.values())} rows) into {data_dir}")
    tokens = get_settings().tokens()
    out.print(f"Open the workbench: http://{host}:{port}/", markup=False)
    from imvo.kernel.tokens import is_hashed
    for token, role in tokens.items():
        if is_hashed(token):
            out.print(f"  a token for {role} is given as its hash in IMVO_API_TOKENS: log in with the token itself",
                      markup=False)
        else:
            out.print(f"  log in at http://{host}:{port}/login with the token {token!r} (role {role}), "
                      f"or send 'Authorization: Bearer {token}'", markup=False)
    out.print(f"  without logging in you are public.  GraphQL: http://{host}:{port}/graphql", markup=False)
    serve(host=host, port=port, workers=1)


@app.command()
def export(
    kind: Annotated[str, typer.Argument(help="shared-factories | opportunities | co-buyers | public-list")],
    output: Annotated[Path, typer.Option("-o", "--output", help="the file to write (.csv, .xlsx or .json)")],
    covenant: Annotated[str | None, typer.Option(help="covenant id")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country code")] = None,
    company: Annotated[str | None, typer.Option(help="company id (co-buyers)")] = None,
    risk: Annotated[str, typer.Option(help="risk id (opportunities)")] = "living_wage",
    min_buyers: Annotated[int, typer.Option(help="minimum signatory buyers")] = 2,
    as_of: Annotated[str | None, typer.Option("--as-of", help="date YYYY-MM-DD (default today)")] = None,
    role: Annotated[str, typer.Option("--as", help="secretariat | public | company:<id>")] = "secretariat",
) -> None:
    """Export a leverage question's answer, as seen by a role, for a spreadsheet or a script.

    CSV is UTF-8 with a BOM and a first line ('# ...') stating the role and date;
    XLSX likewise in its first row; names stand beside ids; JSON keeps lists as arrays.
    """
    from imvo.queries import core
    from imvo.queries.access import viewer_for_role
    from imvo.queries.args import as_of as day_or_today
    from imvo.queries.args import parse_as_of
    from imvo.viz.exports import ExportMeta, to_csv, to_json, to_xlsx
    from imvo.viz.pages import link

    fmt = output.suffix.lower().lstrip(".")
    if kind == "public-list":
        _public_list(output, fmt, as_of)
        return
    if fmt not in ("csv", "json", "xlsx"):
        raise fail("the output file must end in .csv, .xlsx or .json")
    with _user_errors():
        try:
            viewer = viewer_for_role(role)
        except ValueError as exc:
            raise fail(str(exc)) from None
        day = parse_as_of(as_of, "--as-of")
        store = _open_store()
        try:
            if kind == "shared-factories":
                columns = ["factory", "country", "buyer count", "buyers"]
                rows = [[link(s.factory), s.factory.props.get("country"), s.buyer_count,
                         [x for b in s.buyers if (x := link(b))]]
                        for s in core.shared_factories(store, viewer, covenant_id=covenant, country=country,
                                                       min_buyers=min_buyers, as_of=day)]
            elif kind == "opportunities":
                columns = ["factory", "country", "score", "signatory buyer count", "signatory buyers",
                           "risk level", "open grievances", "unions"]
                rows = [[link(o.factory), o.factory.props.get("country"), o.score, o.signatory_buyer_count,
                         [x for b in o.signatory_buyers if (x := link(b))], o.risk_level, len(o.open_grievances),
                         [x for u in o.unions if (x := link(u.union))]]
                        for o in core.joint_action_opportunities(store, viewer, risk=risk, covenant_id=covenant,
                                                                 country=country, first=100_000, as_of=day)]
            elif kind == "co-buyers":
                if not company:
                    raise fail("co-buyers needs --company")
                columns = ["company", "shared count", "shared factories"]
                rows = [[link(c.company), c.shared_count, [x for f in c.shared_factories if (x := link(f))]]
                        for c in core.co_buyers(store, viewer, company_id=company, covenant_id=covenant,
                                                as_of=day)]
            else:
                raise fail(f"unknown export {kind!r}: use shared-factories, opportunities or co-buyers")
        finally:
            store.close()
    what = kind + "".join(f" {k} {v}" for k, v in (("covenant", covenant), ("country", country),
                                                   ("company", company)) if v)
    meta = ExportMeta.now(what, str(viewer), day_or_today(day))
    data = {"csv": to_csv, "xlsx": to_xlsx, "json": to_json}[fmt](columns, rows, meta)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    out.print(f"wrote {len(rows)} rows to {output} (as {viewer}, on {meta.as_of})")


def _public_list(output: Path, fmt: str, as_of: str | None) -> None:
    """The secretariat's public aggregated list (DESIGN section 11) from a published snapshot."""
    import csv
    import io

    from imvo.kernel.spreadsheet import safe_row
    from imvo.queries.args import parse_as_of
    from imvo.queries.publish import PUBLIC_LIST_COLUMNS, public_list

    if fmt not in ("csv", "xlsx"):
        raise fail("the public list is written as .csv or .xlsx")
    with _user_errors():
        day = parse_as_of(as_of, "--as-of")
        if day is None:
            raise fail("public-list needs --as-of DATE (the list comes from the snapshot published on or before it)")
        store = _open_store()
        try:
            snap, rows = public_list(store, day)
        finally:
            store.close()
    if fmt == "csv":
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(PUBLIC_LIST_COLUMNS)
        w.writerows(safe_row(r) for r in rows)
        data = ("\ufeff" + buf.getvalue()).encode("utf-8")
    else:
        from openpyxl import Workbook
        wb = Workbook()
        ws = wb.create_sheet("public list", 0)
        wb.remove(wb.worksheets[1])
        ws.append(list(PUBLIC_LIST_COLUMNS))
        for r in rows:
            ws.append(safe_row(r))
        out_buf = io.BytesIO()
        wb.save(out_buf)
        data = out_buf.getvalue()
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_bytes(data)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    out.print(f"wrote {len(rows)} production locations to {output} (snapshot of {snap})")


@neo4j_app.command("start")
def neo4j_start(
    port: Annotated[int, typer.Option(help="bolt port")] = 7687,
    heap: Annotated[str, typer.Option(help="JVM heap")] = "2g",
    pagecache: Annotated[str, typer.Option(help="page cache size")] = "1g",
) -> None:
    """Assemble Neo4j Community from Maven Central (once, cached) and start it on 127.0.0.1."""
    from imvo.graph import neo4j_launcher as nl
    instance = _settings().data_dir / "neo4j"
    running = nl.read_state(instance)
    if running is not None:
        out.print(running.uri)
        err.print(f"already running (pid {running.pid}); export NEO4J_URI={running.uri}")
        return
    try:
        server = nl.start(instance, port=port, heap=heap, pagecache=pagecache,
                          progress=lambda msg: err.print(msg, markup=False))
    except nl.Neo4jLauncherError as exc:
        raise fail(str(exc)) from None
    out.print(server.uri)
    err.print(f"Neo4j {nl.NEO4J_VERSION} started (pid {server.pid}, data in {instance}); "
              f"use: export IMVO_STORE=neo4j NEO4J_URI={server.uri}")


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j started by `imvo neo4j start`."""
    from imvo.graph import neo4j_launcher as nl
    if nl.stop_instance(_settings().data_dir / "neo4j"):
        out.print("stopped")
    else:
        out.print("not running")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Whether the local Neo4j runs, and its URI."""
    from imvo.graph import neo4j_launcher as nl
    running = nl.read_state(_settings().data_dir / "neo4j")
    if running is None:
        out.print("not running")
        raise typer.Exit(3)
    out.print(f"running: {running.uri} (pid {running.pid})")


def main() -> None:
    import logging
    logging.getLogger("neo4j").setLevel(logging.CRITICAL)   # retries are reported as one error line
    try:
        app()
    except ImvoError as exc:  # a last resort; commands convert their own errors
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
