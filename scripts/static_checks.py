#!/usr/bin/env python3
"""The gates that can fail: ruff, mypy (strict on the core) and the import contract.

The installed namespace ``imvo.*`` maps onto the top-level folders of the design card
section 4 (setuptools ``package-dir``); static tools read files, not import
hooks, so this script first lays out that namespace as a tree of symbolic links
(``build/static/imvo/graph -> ../../../graph``, ...) and runs mypy and
import-linter on it.  Exit 0 only when every check passes.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "static"
LAYERS = ("kernel", "graph", "ingest", "queries", "viz", "api", "cli")
BIN = Path(sys.executable).parent


def _tree() -> Path:
    pkg = TREE / "imvo"
    pkg.mkdir(parents=True, exist_ok=True)
    for name in (*LAYERS, "__init__.py", "__main__.py"):
        link = pkg / name
        target = os.path.relpath(ROOT / name if name in LAYERS else ROOT / "imvo" / name, pkg)
        if link.is_symlink() and os.readlink(link) == target:
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target)
    return TREE


def main() -> int:
    tree = _tree()
    config = str(ROOT / "pyproject.toml")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    checks = [
        ("ruff", [str(BIN / "ruff"), "check", str(ROOT)], ROOT),
        ("mypy", [str(BIN / "mypy"), "-p", "imvo", "--config-file", config, "--cache-dir",
                  str(ROOT / "build" / "mypy-cache")], tree),
        ("import contract", [str(BIN / "lint-imports"), "--config", config, "--no-cache"], tree),
    ]
    failed = []
    for name, cmd, cwd in checks:
        print(f"== {name}", flush=True)
        if subprocess.run(cmd, cwd=cwd, env=env, check=False).returncode != 0:
            failed.append(name)
    if failed:
        print(f"static checks failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("static checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
