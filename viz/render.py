"""A :class:`~viz.model.ViewGraph` -> one self-contained, offline HTML page.

The nodes, edges and options are assembled with a pyvis ``Network``; the page
is our own template (``viz/assets/page.html``) because pyvis's template links
Bootstrap and other files from CDNs even in ``in_line`` mode.  vis-network's
JavaScript is the copy shipped inside the pyvis package and is inlined, so
the page makes no request at all.
"""
from __future__ import annotations

import json
from functools import lru_cache
from html import escape
from pathlib import Path
from typing import Any

import pyvis
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pyvis.network import Network

from imvo.graph.model import RISKS

from .model import EDGE_STYLES, NODE_STYLES, NodeStyle, ViewGraph

__all__ = ["VIS_JS", "error_page", "network_data", "render_html"]

ASSETS = Path(__file__).resolve().parent / "assets"
VIS_JS = Path(pyvis.__file__).resolve().parent / "lib" / "vis-9.1.2" / "vis-network.min.js"
LABEL_CHARS = 26

SIZE_HINT = {
    "factory": "Node size: the factory by its signatory buyers, buyers by their share of its output, "
               "unions by members.",
    "company": "Node size: how many shared factories a company or factory stands for.",
    "covenant": "Node size: factories by signatory buyers, companies by shared factories.",
    "country": "Node size: the country by shared factories, factories by signatory buyers.",
    "path": "Larger nodes are the two ends of the path.",
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    return Environment(loader=FileSystemLoader(ASSETS), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


@lru_cache(maxsize=4)
def _asset(path: Path) -> str:
    text = path.read_text("utf-8")
    if "</script" in text.lower():
        raise ValueError(f"{path} cannot be inlined: it contains '</script'")
    return text


def _options(g: ViewGraph) -> dict[str, Any]:
    n = len(g.nodes)
    if g.positions:
        return _still_options(g)
    ranked = any(x.level is not None for x in g.nodes)
    layout: dict[str, Any] = {"improvedLayout": n <= 100, "randomSeed": 7}
    solver: dict[str, Any] = {"solver": "forceAtlas2Based",
                              "forceAtlas2Based": {"gravitationalConstant": -80, "centralGravity": 0.012,
                                                   "springLength": 90, "springConstant": 0.06, "damping": 0.5,
                                                   "avoidOverlap": 0.6}}
    if ranked:       # a path reads left to right: one column per step
        layout["hierarchical"] = {"enabled": True, "direction": "LR", "levelSeparation": 260,
                                  "nodeSpacing": 110, "sortMethod": "hubsize"}
        solver = {"solver": "hierarchicalRepulsion", "hierarchicalRepulsion": {"nodeDistance": 130}}
    return {
        "autoResize": True,
        "nodes": {"font": {"size": 14, "face": "system-ui, sans-serif", "strokeWidth": 3,
                           "strokeColor": "#ffffff"},
                  # labels grow with the node and are left out when they would be drawn tiny
                  "scaling": {"min": 10, "max": 24 if ranked else 42,
                              "label": {"enabled": True, "min": 12, "max": 18 if ranked else 24,
                                        "drawThreshold": 7, "maxVisible": 28}},
                  "borderWidth": 1.5},
        "edges": {"smooth": False, "selectionWidth": 2, "hoverWidth": 1,
                  "font": {"size": 12, "align": "middle", "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "arrows": {"to": {"scaleFactor": 0.6}}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": n > 200,
                        "navigationButtons": False, "keyboard": False},
        "layout": layout,
        "physics": {"enabled": True, **solver,
                    "minVelocity": 1.0, "maxVelocity": 60,
                    "stabilization": {"enabled": True, "iterations": 400 if n <= 150 else 250,
                                      "updateInterval": 50, "fit": True}},
    }


def _still_options(g: ViewGraph) -> dict[str, Any]:
    """Positions come from :mod:`viz.layout`: no physics, labels drawn by the page (view.js)."""
    return {
        "autoResize": True,
        "nodes": {"font": {"size": 14, "face": "system-ui, sans-serif"},
                  "scaling": {"min": 7, "max": 20, "label": {"enabled": False}}, "borderWidth": 1.5},
        "edges": {"smooth": False, "selectionWidth": 2, "hoverWidth": 1,
                  "font": {"size": 11, "align": "middle", "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "arrows": {"to": {"scaleFactor": 0.5}}},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": len(g.edges) > 400,
                        "navigationButtons": False, "keyboard": False, "multiselect": False},
        "layout": {"improvedLayout": False, "randomSeed": 7},
        "physics": {"enabled": False, "stabilization": {"enabled": False}},
    }


def _short(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1].rstrip() + "…"


def network_data(g: ViewGraph) -> dict[str, Any]:
    """The nodes, edges and options the page hands to vis-network (built with pyvis)."""
    net = Network(height="100%", width="100%", directed=True, cdn_resources="in_line")
    for n in g.nodes:
        style = NODE_STYLES[n.kind]
        group = n.kind.endswith("Group")
        net.add_node(n.key, label=_short(n.label), shape=style.shape, value=n.value,
                     color={"background": style.color, "border": "#333333" if n.key == g.focus else "#ffffff",
                            "highlight": {"background": style.color, "border": "#000000"},
                            "hover": {"background": style.color, "border": "#000000"}},
                     borderWidth=3 if n.key == g.focus else 1.5,
                     shapeProperties={"borderDashes": [4, 3] if group else False},
                     title="\n".join([n.label, *(f"{k}: {v}" for k, v in n.facts)]), kind=n.kind,
                     **({"level": n.level} if n.level is not None and not g.positions else {}),
                     **_place(g, n.key))
    for e in g.edges:
        es = EDGE_STYLES[e.type]
        net.add_edge(e.source, e.target, color={"color": es.color, "highlight": "#000000", "hover": "#000000",
                                                "inherit": False},
                     dashes=list(es.dashes) or False, width=e.width or es.width,
                     arrows="to" if es.arrow else "", label=e.label or None,
                     title="\n".join([es.legend, *(f"{k}: {v}" for k, v in e.facts)]), type=e.type)
    net.options = _options(g)          # set directly: pyvis's set_options() strips spaces from strings
    nodes, edges, _heading, _h, _w, options = net.get_network_data()
    if isinstance(options, str):       # pyvis hands the options on as JSON text
        options = json.loads(options)
    order = [n.key for n in sorted(g.nodes, key=lambda n: (n.key != g.focus, -n.value, n.label))]
    return {"nodes": nodes, "edges": edges, "options": options, "focus": g.focus, "order": order,
            "still": bool(g.positions)}


def _place(g: ViewGraph, key: str) -> dict[str, Any]:
    if key not in g.positions:
        return {}
    x, y, side = g.positions[key]
    return {"x": round(x, 1), "y": round(y, 1), "side": side}


def _shape_svg(style: NodeStyle, dashed: bool = False) -> str:
    c = style.color
    dash = ' stroke-dasharray="3 2"' if dashed else ""
    attrs = f'fill="{c}" stroke="#333" stroke-width="1"{dash}'
    shapes = {
        "dot": f'<circle cx="9" cy="9" r="7" {attrs}/>',
        "square": f'<rect x="2" y="2" width="14" height="14" {attrs}/>',
        "diamond": f'<polygon points="9,1 17,9 9,17 1,9" {attrs}/>',
        "triangle": f'<polygon points="9,2 17,16 1,16" {attrs}/>',
        "triangleDown": f'<polygon points="1,2 17,2 9,16" {attrs}/>',
        "hexagon": f'<polygon points="5,2 13,2 17,9 13,16 5,16 1,9" {attrs}/>',
        "star": f'<polygon points="9,1 11,7 17,7 12,11 14,17 9,13 4,17 6,11 1,7 7,7" {attrs}/>',
    }
    return f'<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">{shapes[style.shape]}</svg>'


def _line_svg(type_: str) -> str:
    es = EDGE_STYLES[type_]
    dash = f' stroke-dasharray="{" ".join(map(str, es.dashes))}"' if es.dashes else ""
    return (f'<svg width="34" height="12" viewBox="0 0 34 12" aria-hidden="true"><line x1="1" y1="6" x2="33" '
            f'y2="6" stroke="{es.color}" stroke-width="{max(es.width, 1.5)}"{dash}/></svg>')


def _json_for_script(data: Any) -> str:
    """JSON that can sit inside a <script> element (no '<', '>' or '&' left to end it)."""
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def render_html(g: ViewGraph, base: str | None = None) -> str:
    """The complete page for one view (no external URL, works from a file or the API).

    ``base`` is the view's own URL (path and query) when the API serves it:
    the page then offers its filters, the date control and the data
    downloads (CSV, GEXF, GraphML) next to the PNG download.
    """
    kinds = list(dict.fromkeys(n.kind for n in g.nodes))
    types = list(dict.fromkeys(e.type for e in g.edges))
    legend_nodes = [(k, NODE_STYLES[k].legend, _shape_svg(NODE_STYLES[k], k.endswith("Group")),
                     sum(1 for n in g.nodes if n.kind == k)) for k in kinds]
    legend_edges = [(t, EDGE_STYLES[t].legend, _line_svg(t), sum(1 for e in g.edges if e.type == t))
                    for t in types]
    return _env().get_template("page.html").render(
        g=g, data_json=_json_for_script(network_data(g)), css=_asset(ASSETS / "view.css"),
        vis_js=_asset(VIS_JS), view_js=_asset(ASSETS / "view.js"), legend_nodes=legend_nodes,
        legend_edges=legend_edges, size_hint=SIZE_HINT.get(g.kind, ""), search=len(g.nodes) > 12,
        base=base, sep="&" if base and "?" in base else "?", risks=RISKS, page_kinds=VIEW_PAGES)


#: node kind -> the entity page a click opens (/factory/{id}, ...)
VIEW_PAGES = {"Company": "company", "Buyer": "company", "Factory": "factory", "Covenant": "covenant",
              "Country": "country", "Supplier": "supplier", "Union": "union", "NGO": "ngo",
              "Organisation": "organisation", "Grievance": "grievance", "Risk": "risk"}


def error_page(status: int, message: str) -> str:
    """A small stand-alone HTML page for 400 / 404 / 503 answers."""
    title = {400: "Bad request", 404: "Not found", 503: "Store unavailable"}.get(status, "Error")
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status} {title}</title>'
            f'<style>{_asset(ASSETS / "view.css")}</style></head><body class="error"><main>'
            f'<h1>{status} {title}</h1><p>{escape(message)}</p></main></body></html>')
