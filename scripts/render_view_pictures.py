"""Render a PNG of each network view from the bundled sample into docs/views/ (for the README).

    .venv/bin/python scripts/render_view_pictures.py [--out docs/views] [--chromium PATH]

Loads ``samples/demo`` into a temporary embedded store, serves the real API
on 127.0.0.1 (as the secretariat, plus one public view to show what access
hides), and screenshots each page in headless Chromium once its network has
settled.  Also renders the aggregated covenant view of a small synthetic
dataset.  Deterministic layouts (fixed random seed), so re-running gives the
same pictures unless the data or the views change.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))   # tests/support: the generator, headless Chromium, the server runner

from fastapi import FastAPI
from support.headless import Chromium, find_chromium, serve_in_thread, with_token

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.store import GraphStore
from imvo.ingest.canonical import ingest_dir
from imvo.kernel.settings import Settings

DAY = "2026-06-30"
PICTURES = [  # file name, URL path, token
    ("factory", "/views/factory/F0249", "sek"),
    ("company", "/views/company/C001", "sek"),
    ("covenant", "/views/covenant/COV-GARMENT", "sek"),
    ("covenant-public", "/views/covenant/COV-GARMENT", None),
    ("country", "/views/country/BD", "sek"),
    ("path", "/views/path?from=C001&to=U101", "sek"),
]


def app_for(store: GraphStore) -> FastAPI:
    from imvo.api.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return create_app(Settings(api_tokens="sek=secretariat"), store=store)  # type: ignore[call-arg]


def shoot(chromium: Chromium, store: GraphStore, shots: list[tuple[str, str, str | None]], out: Path) -> None:
    app = app_for(store)
    with serve_in_thread(with_token(app, "sek")) as sec, serve_in_thread(app) as public:
        for name, path, token in shots:
            sep = "&" if "?" in path else "?"
            url = f"{sec if token else public}{path}{sep}asOf={DAY}"
            state = chromium.load(url, screenshot=out / f"{name}.png", budget_ms=8000)
            print(f"{out / (name + '.png')}: {state.nodes} nodes, {state.edges} edges ({state.state})")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "views")
    ap.add_argument("--chromium", help="the Chromium binary (default: found on PATH)")
    args = ap.parse_args(argv)
    binary = args.chromium or find_chromium()
    if not binary:
        print("error: chromium not found (apt-get install chromium, or --chromium PATH)", file=sys.stderr)
        return 1
    chromium = Chromium(binary, width=1400, height=900)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="imvo-pictures-") as tmp:
        sample = EmbeddedStore(Path(tmp) / "sample")
        ingest_dir(sample, ROOT / "samples" / "demo")
        shoot(chromium, sample, PICTURES, args.out)

        from support.synthetic import generate
        generate(Path(tmp) / "synthetic", factories=3000, links=9000, seed=7)
        big = EmbeddedStore(Path(tmp) / "big")
        ingest_dir(big, Path(tmp) / "synthetic")
        shoot(chromium, big, [("covenant-aggregated", "/views/covenant/COV-GARMENT", "sek")], args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
