"""Headless Chromium and a background API server, for the browser tests, the pictures and the benchmark.

Only the standard library and uvicorn: Chromium is driven through its command
line (``--dump-dom``, ``--screenshot``, ``--log-net-log``), so no DevTools
client is needed.  Every run gets a fresh profile and a host-resolver rule
that sends every name except 127.0.0.1 nowhere, so a page cannot reach out
even by mistake; the net log then shows what it tried.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .server import free_port, serve_in_thread

__all__ = [
    "Chromium",
    "NetRequest",
    "PageState",
    "find_chromium",
    "free_port",
    "net_log_requests",
    "pixel_variety",
    "png_pixels",
    "serve_in_thread",
    "with_token",
]

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
         "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
         "--disable-breakpad", "--password-store=basic", "--no-default-browser-check",
         ("--disable-features=AutofillServerCommunication,NetworkTimeServiceQuerying,OptimizationHints,"
          "MediaRouter,Translate,SigninInterceptBubble"),
         "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")


def find_chromium() -> str | None:
    """``$IMVO_CHROMIUM``, else chromium / chromium-browser / google-chrome on PATH, else None."""
    env = os.environ.get("IMVO_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass(frozen=True)
class NetRequest:
    """One URL request in Chromium's net log: its URL, the top-frame site it was made for
    (``null`` for the browser's own background requests) and its error (0 = none)."""

    url: str
    top_site: str
    error: int = 0

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""


@dataclass
class PageState:
    """What a page reported in ``#imvo-status`` once its network settled."""

    state: str
    nodes: int
    edges: int
    kinds: dict[str, int] = field(default_factory=dict)
    types: dict[str, int] = field(default_factory=dict)
    canvas: tuple[int, int, int, int] = (0, 0, 0, 0)
    requests: list[NetRequest] = field(default_factory=list)   # from the net log
    seconds: float = 0.0                                   # wall time of the browser run


_STATUS = re.compile(r'<span id="imvo-status"([^>]*)>')
_ATTR = re.compile(r'data-([a-z-]+)="([^"]*)"')


class Chromium:
    """One headless Chromium binary; each call is a fresh process with a fresh profile."""

    def __init__(self, binary: str, width: int = 1400, height: int = 900, budget_ms: int = 5_000) -> None:
        self.binary, self.width, self.height, self.budget_ms = binary, width, height, budget_ms

    def _run(self, url: str, extra: list[str], timeout: float) -> tuple[subprocess.CompletedProcess[str], float]:
        with tempfile.TemporaryDirectory(prefix="imvo-chromium-", ignore_cleanup_errors=True) as profile:
            cmd = [self.binary, *FLAGS, f"--user-data-dir={profile}",
                   f"--window-size={self.width},{self.height}", *extra, url]
            t0 = time.perf_counter()
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
            return done, time.perf_counter() - t0

    def load(self, url: str, *, screenshot: Path | None = None, budget_ms: int | None = None,
             timeout: float = 120) -> PageState:
        """Load ``url``, let its scripts run (virtual time), read ``#imvo-status`` and the net log;
        with ``screenshot``, also save a PNG of the window."""
        with tempfile.TemporaryDirectory(prefix="imvo-netlog-") as tmp:
            netlog = Path(tmp) / "net.json"
            extra = ["--dump-dom", f"--virtual-time-budget={budget_ms or self.budget_ms}",
                     f"--log-net-log={netlog}", "--net-log-capture-mode=Default"]
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                extra.append(f"--screenshot={screenshot}")
            done, seconds = self._run(url, extra, timeout)
            requests = net_log_requests(netlog)
        m = _STATUS.search(done.stdout)
        if not m or (screenshot is not None and not screenshot.is_file()):
            raise RuntimeError(f"no #imvo-status or screenshot from {url} (exit {done.returncode}): "
                               f"{done.stderr[-500:]}")
        a = {k: unescape(v) for k, v in _ATTR.findall(m.group(1))}
        canvas = tuple(int(x) for x in a.get("canvas", "0,0,0,0").split(","))
        return PageState(a.get("state", ""), int(a.get("nodes", -1)), int(a.get("edges", -1)),
                         json.loads(a.get("kinds") or "{}"), json.loads(a.get("types") or "{}"),
                         canvas if len(canvas) == 4 else (0, 0, 0, 0), requests, seconds)  # type: ignore[arg-type]


    def settle(self, url: str, *, timeout: float = 120) -> tuple[float, int]:
        """Real time (no virtual clock) until the page logs that its network settled.

        Returns (seconds from starting the browser, the page's own milliseconds
        from its script start to the first still drawing).
        """
        with tempfile.TemporaryDirectory(prefix="imvo-chromium-", ignore_cleanup_errors=True) as profile:
            cmd = [self.binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={self.width},{self.height}",
                   "--enable-logging=stderr", "--v=0", url]
            t0 = time.perf_counter()
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                    start_new_session=True)       # its own group: stop all its children
            timer = threading.Timer(timeout, _signal_group, (proc.pid, signal.SIGKILL))
            timer.start()
            try:
                assert proc.stderr is not None
                for line in proc.stderr:
                    m = _SETTLED.search(line)
                    if m:
                        return time.perf_counter() - t0, int(m.group(1))
                raise RuntimeError(f"{url} never reported that it settled")
            finally:
                timer.cancel()
                _signal_group(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    _signal_group(proc.pid, signal.SIGKILL)
                    proc.wait()


def _signal_group(pid: int, sig: int) -> None:
    """Signal the process group Chromium was started in (the browser and its helpers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


_SETTLED = re.compile(r"imvo-view settled: \d+ nodes, \d+ edges, (\d+) ms")


def net_log_requests(path: Path) -> list[NetRequest]:
    """The URL requests in a net log file (``--log-net-log``), with their outcome."""
    if not path.is_file():
        return []
    text = path.read_text("utf-8", "replace").rstrip().rstrip(",")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:          # cut off at exit: close the event list
        log = json.loads(text + "]}")
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    begun: dict[int, tuple[str, str]] = {}
    errors: dict[int, int] = {}
    for e in log.get("events", []):
        if e.get("type") != start:
            continue
        params, sid = e.get("params") or {}, e["source"]["id"]
        if "url" in params:
            nik = str(params.get("network_isolation_key") or "null")
            begun[sid] = (params["url"], nik.split(" ")[0])
        elif "net_error" in params:
            errors[sid] = int(params["net_error"])
    return [NetRequest(url, site, errors.get(sid, 0)) for sid, (url, site) in sorted(begun.items())]


# ---------------------------------------------------------------------------
# the API in a background thread
# ---------------------------------------------------------------------------

ASGIApp = Callable[..., Any]


def with_token(app: ASGIApp, token: str | None) -> ASGIApp:
    """The app, with ``Authorization: Bearer <token>`` added to each HTTP request.

    Stands in for a browser that sends the header (headless Chromium's command
    line cannot); the real app and its auth dependency do the rest.
    """
    if not token:
        return app

    async def wrapped(scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
            scope = {**scope, "headers": [*headers, (b"authorization", f"Bearer {token}".encode())]}
        await app(scope, receive, send)
    return wrapped


# ---------------------------------------------------------------------------
# a small PNG reader (8-bit RGB/RGBA, not interlaced: what Chromium writes)
# ---------------------------------------------------------------------------

def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB bytes) of a PNG file."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, width = 8, b"", 0
    height = depth = color = interlace = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    channels = {2: 3, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
    raw, stride = zlib.decompress(idat), width * channels
    rows: list[bytes] = []
    prev = bytearray(stride)
    lo, hi = int.from_bytes(b"\x7f" * stride, "big"), int.from_bytes(b"\x80" * stride, "big")
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        ch = channels
        if f == 1:
            for i in range(ch, stride):
                line[i] = (line[i] + line[i - ch]) & 0xFF
        elif f == 2:                       # bytewise add without carries, on the whole row at once
            a, b = int.from_bytes(line, "big"), int.from_bytes(prev, "big")
            line = bytearray((((a & lo) + (b & lo)) ^ ((a ^ b) & hi)).to_bytes(stride, "big"))
        elif f == 3:
            for i in range(stride):
                line[i] = (line[i] + ((line[i - ch] if i >= ch else 0) + prev[i]) // 2) & 0xFF
        elif f == 4:
            for i in range(stride):
                a, b = (line[i - ch], prev[i - ch]) if i >= ch else (0, 0)
                up = prev[i]
                p = a + up - b
                pa, pb, pc = abs(p - a), abs(p - up), abs(p - b)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else up if pb <= pc else b)) & 0xFF
        prev = line
        rows.append(bytes(line) if ch == 3 else bytes(v for j in range(0, stride, 4) for v in line[j:j + 3]))
    return width, height, rows


def pixel_variety(path: Path, box: tuple[int, int, int, int]) -> tuple[int, float]:
    """(distinct colours, share of non-white pixels) inside ``box`` = (x, y, w, h) of a PNG."""
    width, height, rows = png_pixels(path)
    x0, y0, w, h = box
    x1, y1 = min(width, x0 + w), min(height, y0 + h)
    colours: set[bytes] = set()
    inked = total = 0
    for y in range(max(y0, 0), y1):
        row = rows[y]
        for x in range(max(x0, 0), x1, 2):               # every other column is plenty
            px = row[3 * x:3 * x + 3]
            colours.add(px)
            total += 1
            inked += px != b"\xff\xff\xff"
    return len(colours), inked / max(total, 1)
