"""Match review in the browser (the secretariat only): ``GET /review``, ``POST /review``.

The same queue and the same rules as ``imvo matches`` (``matches.sqlite`` in
the data directory, :class:`imvo.ingest.review.ReviewQueue`, decisions through
:mod:`imvo.ingest.matches`, as ``imvo matches`` takes them); this module only shows the queue
with the evidence side by side and hands the decisions on.  Forms carry the
session's CSRF token (checked by :class:`imvo.api.session.CsrfMiddleware`).
Undo is offered when the queue can undo a decision (``ReviewQueue.undo``).
"""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from imvo.api.limits import in_thread as run_in_threadpool
from imvo.graph.store import GraphStore
from imvo.kernel.errors import ImvoError
from imvo.queries.access import Viewer
from imvo.queries.navigate import nodes_by_id
from imvo.viz.html import render_template

from .deps import SettingsDep, StoreDep, ViewerDep
from .pages import error_response, frame

__all__ = ["router"]

router = APIRouter(tags=["review"], default_response_class=HTMLResponse)
SITE_FIELDS = ("name", "address", "country", "os_id", "workers", "workers_band", "products", "vendor", "owners",
               "union", "has_cba", "source")


def _queue(settings: Any) -> Any:
    from imvo.ingest.review import FILE_NAME, ReviewQueue
    return ReviewQueue(settings.data_dir / FILE_NAME)


def _evidence(store: GraphStore, viewer: Viewer, queue: Any, pairs: list[Any]) -> list[dict[str, Any]]:
    found = nodes_by_id(store, "Factory", [p.candidate_id for p in pairs]) if pairs else {}
    out = []
    for p in pairs:
        held = queue.held(p.id) if p.status == "pending" else []
        rows = []
        for h in held:
            site, ctx = h.get("site", {}), h.get("context", {})
            rows.append({**{k: site.get(k) for k in SITE_FIELDS if site.get(k) not in (None, "", [])},
                         "list": ctx.get("file"), "buyer": ctx.get("buyer"), "reported on": ctx.get("reported_on"),
                         "disclosure": ctx.get("disclosure")})
        f = found.get(p.candidate_id)
        ev = getattr(p, "evidence", None) or {}
        out.append({"pair": p, "held": rows, "candidate": f, "evidence": ev,
                    "candidate_facts": {k: f.props.get(k) for k in ("name", "address", "country", "os_id",
                                                                     "workers", "products")
                                        if f is not None and f.props.get(k) not in (None, "", [])}})
    return out


def _page(request: Request, store: GraphStore, viewer: Viewer, settings: Any, message: str | None = None,
          errors: list[str] | None = None, status: int = 200) -> HTMLResponse:
    with _queue(settings) as q:
        pending = q.pairs("pending")
        decided = [p for p in q.pairs(None) if p.status != "pending"]
        evidence = _evidence(store, viewer, q, pending)
        can_undo = True
    html = render_template("review.html", page_kind="review", title="Match review", pending=evidence,
                           decided=decided, can_undo=can_undo, message=message, errors=errors or [],
                           **frame(request, viewer))
    return HTMLResponse(html, status, headers={"Cache-Control": "no-store"})


@router.get("/review", summary="The match review queue (secretariat)")
async def review(request: Request, store: StoreDep, viewer: ViewerDep, settings: SettingsDep) -> Response:
    if not viewer.is_secretariat:
        return error_response(request, viewer, 403, "Match review is for the secretariat: log in with its token.")
    try:
        return await run_in_threadpool(_page, request, store, viewer, settings, request.query_params.get("done"))
    except ImvoError as exc:
        return error_response(request, viewer, 400, str(exc))


@router.post("/review", summary="Accept, reject or undo match decisions (secretariat; CSRF token required)")
async def decide(request: Request, store: StoreDep, viewer: ViewerDep, settings: SettingsDep) -> Response:
    if not viewer.is_secretariat:
        return error_response(request, viewer, 403, "Match review is for the secretariat.")
    form = await request.form()
    action = str(form.get("action") or "")
    try:
        ids = sorted({int(str(v)) for v in form.getlist("pair")})
        above = str(form.get("above") or "").strip()
    except ValueError:
        return error_response(request, viewer, 400, "pair ids are whole numbers")

    def run() -> tuple[str, list[str]]:
        from imvo.ingest import matches
        with _queue(settings) as q:
            chosen = ids
            if action == "accept-above":
                chosen = [p.id for p in q.pairs("pending", float(above))] if above else []
            if not chosen:
                return "nothing selected", []
            if action not in ("accept", "reject", "accept-above", "undo"):
                return "", [f"unknown action {action!r}"]
            fn = {"accept": matches.accept, "accept-above": matches.accept, "reject": matches.reject,
                  "undo": matches.undo}[action]
            done = fn(store, q, chosen)          # the same rules and storage as `imvo matches`
        ok = [d for d in done if d.ok]
        verb = {"reject": "rejected", "undo": "undid"}.get(action, "accepted")
        rows = sum(d.rows for d in ok)
        return (f"{verb} {len(ok)} pair(s); {rows} row(s) moved", [d.message for d in done if not d.ok])
    try:
        message, errors = await run_in_threadpool(run)
    except (ImvoError, ValueError) as exc:
        return error_response(request, viewer, 400, str(exc))
    if errors:
        return await run_in_threadpool(_page, request, store, viewer, settings, message, errors, 400)
    return RedirectResponse(f"/review?done={message.replace(' ', '+')}", 303)
