"""The benchmark and evaluation scripts still start: each one is imported and parses ``--help`` in a
subprocess (a script importing a module that was removed fails here, not months later in
``make bench``).  static_checks.py runs in ``make lint`` and has no ``--help``."""
from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

SCRIPTS = sorted(p.name for p in (ROOT / "scripts").glob("*.py") if p.name != "static_checks.py")


def test_the_scripts_are_found() -> None:
    assert {"bench_leverage.py", "bench_limits.py", "bench_ingest.py", "bench_load.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_a_script_starts(name: str) -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / name), "--help"], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout
