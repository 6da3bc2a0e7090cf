"""The examples in the package's docstrings run (numpydoc-style examples are tests too)."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

LAYERS = ("kernel", "graph", "ingest", "queries", "viz", "api", "cli")


def _modules() -> list[str]:
    out = []
    for layer in LAYERS:
        pkg = importlib.import_module(f"imvo.{layer}")
        out.append(pkg.__name__)
        out += [m.name for m in pkgutil.walk_packages(pkg.__path__, f"{pkg.__name__}.")]
    return sorted(out)


MODULES = _modules()


def test_modules_found() -> None:
    assert {"imvo.graph.model", "imvo.queries.core", "imvo.ingest.matching"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed"
