"""A TCP proxy on 127.0.0.1 that breaks the link on purpose.

``arm("drop", after_bytes=N)`` closes the next connection once N bytes went upstream (or
downstream, for downloads); ``arm("stall", ...)`` black-holes it instead: the sockets stay
open and nothing more is forwarded, like a dead NAT entry. Faults are one-shot, so the
connection a retry opens passes cleanly: the fault has been removed.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import Literal

Mode = Literal["pass", "drop", "stall"]


@dataclass
class _Fault:
    mode: Mode
    after_bytes: int


class FaultProxy:
    def __init__(self, target_port: int) -> None:
        self._target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._pending: _Fault | None = None
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self.connections = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, mode: Mode, after_bytes: int = 0) -> None:
        with self._lock:
            self._pending = _Fault(mode, after_bytes)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                _close(sock)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target_port))
            with self._lock:
                fault, self._pending = self._pending or _Fault("pass", 0), None
                self._sockets += [client, upstream]
                self.connections += 1
            counter = _Counter(fault)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self._pump, args=(source, sink, counter, client, upstream), daemon=True
                ).start()

    def _pump(
        self,
        source: socket.socket,
        sink: socket.socket,
        counter: _Counter,
        client: socket.socket,
        upstream: socket.socket,
    ) -> None:
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                _close(client)
                _close(upstream)
                return
            action = counter.add(len(data))
            if action == "drop":
                _close(client)
                _close(upstream)
                return
            if action == "stall":
                return  # sockets stay open; nothing more moves in this direction
            try:
                sink.sendall(data)
            except OSError:
                return


class _Counter:
    """Bytes seen in both directions of one connection, and what the fault says to do."""

    def __init__(self, fault: _Fault) -> None:
        self._fault = fault
        self._seen = 0
        self._lock = threading.Lock()
        self._tripped = False

    def add(self, size: int) -> Mode:
        with self._lock:
            self._seen += size
            if self._fault.mode != "pass" and (
                self._tripped or self._seen > self._fault.after_bytes
            ):
                self._tripped = True
                return self._fault.mode
            return "pass"


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
