"""The hostile corpus, written once per session, and a local port that counts connections."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from locator.stations.readers import configure_gdal
from tests.hostile import corpus


class Watcher:
    """A loopback TCP server that answers ``corpus.SECRET_BODY`` and counts connections."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                body = corpus.SECRET_BODY.encode()
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    def close(self) -> None:
        self.server.close()


@pytest.fixture(scope="session")
def watcher() -> Iterator[Watcher]:
    found = Watcher()
    yield found
    found.close()


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory, watcher: Watcher) -> dict[str, Path]:
    """``{file name: path}`` of every corpus file; GDAL configured as at start-up."""
    configure_gdal()
    return corpus.build(tmp_path_factory.mktemp("hostile"), watcher.port)
