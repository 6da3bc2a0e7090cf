"""Workbench pages as HTML (:mod:`imvo.viz.pages` data -> Jinja templates in ``viz/templates``).

Every page is offline: the stylesheet is inlined and no template names an
external URL; links go only to other pages of the same app.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from imvo.graph.model import RISKS

from .pages import Page

__all__ = ["TEMPLATES", "render_map", "render_page", "render_template"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
ASSETS = Path(__file__).resolve().parent / "assets"


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=8)
def _asset(name: str) -> str:
    return (ASSETS / name).read_text("utf-8")


def render_template(name: str, *, viewer: str, csrf: str | None = None, logged_in: bool = False,
                    **context: Any) -> str:
    """One template with the shared frame (role, login state, the CSRF token for forms)."""
    return _env().get_template(name).render(
        css=_asset("workbench.css"), viewer=viewer, csrf=csrf, logged_in=logged_in,
        is_secretariat=viewer == "secretariat", risks=RISKS, **context)


def render_map(m: Any, *, colour: str = "shared", csrf: str | None = None, logged_in: bool = False) -> str:
    """The map page (:func:`imvo.viz.map.factory_map`); Leaflet and the shapes are served by the app."""
    from .render import _json_for_script
    return render_template("map.html", viewer=m.viewer, csrf=csrf, logged_in=logged_in, m=m, title=m.title,
                           page_kind="map", colour=colour if colour in ("shared", "union", "risk") else "shared",
                           points_json=_json_for_script(m.points))


def render_page(p: Page, *, csrf: str | None = None, logged_in: bool = False, downloads: str | None = None,
                query: str | None = None) -> str:
    name = {"landing": "landing.html", "search": "search.html"}.get(p.kind, "entity.html")
    return render_template(name, viewer=p.viewer, csrf=csrf, logged_in=logged_in, p=p, title=p.title,
                           page_kind=p.kind, downloads=downloads, query=query)
