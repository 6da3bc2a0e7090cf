"""The one way the tests and scripts serve the API: uvicorn in a daemon thread on a free loopback port."""
from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, Self


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerThread:
    """uvicorn serving an ASGI app in a background thread (``with ServerThread(app) as url``)."""

    def __init__(self, app: Any, port: int | None = None, **config: Any) -> None:
        import uvicorn
        self.app = app
        self.port = port or free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    lifespan="on", **config))
        self.thread = threading.Thread(target=self.server.run, name=f"uvicorn-{self.port}", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError(f"the API did not start on port {self.port}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serve_in_thread(app: Any, port: int | None = None) -> Iterator[str]:
    """Run ``app`` on 127.0.0.1 in a daemon thread; yield its base URL; stop it after."""
    with ServerThread(app, port) as server:
        yield server.url


class LiveServer(ServerThread):
    """The API over a store, with test tokens (``TOKENS``), and a GraphQL helper."""

    def __init__(self, store: Any, tokens: str | None = None, **settings: Any) -> None:
        from imvo.api.app import create_app
        from imvo.kernel.settings import load_settings
        self.settings = load_settings(IMVO_API_TOKENS=tokens if tokens is not None else TOKENS, **settings)
        super().__init__(create_app(self.settings, store))

    def __enter__(self) -> Self:
        self.start()
        return self

    def graphql(self, query: str, token: str | None = None, variables: dict[str, Any] | None = None) -> Any:
        import httpx
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        r = httpx.post(self.url + "/graphql", json={"query": query, "variables": variables or {}},
                       headers=headers, timeout=60)
        assert r.status_code < 500, r.text
        return r.json()


TOKENS = "sekret=secretariat,co27=company:C027,co29=company:C029"
