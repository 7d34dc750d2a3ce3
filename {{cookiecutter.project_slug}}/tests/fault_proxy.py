"""A TCP proxy on 127.0.0.1 that puts one fault between the client and a storage server.

Faults (``proxy.fault(name, **options)``; it applies to new connections and closes the
open ones, so no pooled connection escapes it):

- ``pass``: forward both ways.
- ``stall``: accept and read the request, never answer.
- ``reset``: accept, then reset the connection (RST) at once.
- ``drop``: forward ``after`` bytes of the request, then cut both sides.
- ``throttle``: forward the request at ``rate`` bytes a second.
- ``trickle``: forward the request, then the answer one byte every ``interval`` seconds.
- ``corrupt``: flip one bit of the request byte at stream offset ``at`` (every connection).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

CHUNK = 16 * 1024


class FaultProxy:
    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.mode, self.options = "pass", {}
        self.corrupted = 0  # bytes flipped so far
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closed = False
        threading.Thread(target=self._accept, name="proxy", daemon=True).start()

    def fault(self, mode: str, **options: Any) -> None:
        assert mode in ("pass", "stall", "reset", "drop", "throttle", "trickle", "corrupt"), mode
        with self._lock:
            self.mode, self.options = mode, options
            sockets, self._open = self._open, set()
        for sock in sockets:
            _close(sock)

    @contextlib.contextmanager
    def faulty(self, mode: str, **options: Any) -> Iterator[FaultProxy]:
        """``mode`` inside the block, ``pass`` after it."""
        self.fault(mode, **options)
        try:
            yield self
        finally:
            self.fault("pass")

    def close(self) -> None:
        self._closed = True
        self.fault("pass")
        _close(self._listener)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                mode, options = self.mode, dict(self.options)
                self._open.add(client)
            threading.Thread(target=self._serve, args=(client, mode, options), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.add(sock)

    def _serve(self, client: socket.socket, mode: str, options: dict[str, Any]) -> None:
        if mode == "reset":
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
            return
        if mode == "stall":
            while client.recv(CHUNK):
                pass
            return
        try:
            server = socket.create_connection(self.target)
        except OSError:
            _close(client)
            return
        self._track(server)
        upstream = threading.Thread(
            target=self._pump_request, args=(client, server, mode, options), daemon=True
        )
        upstream.start()
        self._pump_answer(server, client, mode, options)

    def _pump_request(
        self, client: socket.socket, server: socket.socket, mode: str, options: dict[str, Any]
    ) -> None:
        offset = 0
        try:
            while data := client.recv(CHUNK):
                if mode == "drop" and offset + len(data) >= options["after"]:
                    server.sendall(data[: options["after"] - offset])
                    break
                if mode == "corrupt" and offset <= options["at"] < offset + len(data):
                    flipped = bytearray(data)
                    flipped[options["at"] - offset] ^= 0x01
                    data = bytes(flipped)
                    self.corrupted += 1
                if mode == "throttle":
                    for start in range(0, len(data), 1024):
                        server.sendall(data[start : start + 1024])
                        time.sleep(1024 / options["rate"])
                else:
                    server.sendall(data)
                offset += len(data)
        except OSError:
            pass
        _close(client)
        _close(server)

    def _pump_answer(
        self, server: socket.socket, client: socket.socket, mode: str, options: dict[str, Any]
    ) -> None:
        try:
            while data := server.recv(CHUNK):
                if mode == "trickle":
                    for byte in data:
                        client.sendall(bytes([byte]))
                        time.sleep(options["interval"])
                else:
                    client.sendall(data)
        except OSError:
            pass
        _close(client)
        _close(server)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
