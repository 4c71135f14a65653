"""Helpers for the hostile-input tests: raw HTTP servers that misbehave on purpose, and a
canary listener that counts every connection made to it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

Handler = Callable[[socket.socket, bytes], None]


def read_request(conn: socket.socket, limit: float = 5) -> bytes:
    """The request head and body (by Content-Length) as raw bytes."""
    conn.settimeout(limit)
    data = b""
    try:
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return data
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return head + b"\r\n\r\n" + body
    except OSError:
        return data


class RawServer:
    """A TCP server on 127.0.0.1 (or ``host``) that hands each connection to ``handler``
    and keeps every request it read."""

    def __init__(self, handler: Handler | None = None, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.requests: list[bytes] = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(64)
        self.host, self.port = self.sock.getsockname()[:2]
        self.url = f"http://{self.host}:{self.port}"
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn:
            request = read_request(conn)
            self.requests.append(request)
            if self.handler is not None:
                with suppress(OSError):
                    self.handler(conn, request)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(2)
        self.sock.close()


@contextmanager
def serving(handler: Handler | None = None, host: str = "127.0.0.1") -> Iterator[RawServer]:
    server = RawServer(handler, host)
    try:
        yield server
    finally:
        server.close()


def answer(status: str, body: bytes = b"", headers: dict[str, str] | None = None) -> Handler:
    """A handler that sends one fixed answer."""

    def handle(conn: socket.socket, _request: bytes) -> None:
        head = f"HTTP/1.1 {status}\r\n"
        for k, v in {"Content-Length": str(len(body)), "Connection": "close",
                     **(headers or {})}.items():
            head += f"{k}: {v}\r\n"
        conn.sendall(head.encode() + b"\r\n" + body)

    return handle


def raw(data: bytes) -> Handler:
    """A handler that sends these bytes and closes."""
    return lambda conn, _request: conn.sendall(data)


def drip(head: bytes, every: float, stop: threading.Event) -> Handler:
    """A handler that sends ``head`` then one byte every ``every`` seconds."""

    def handle(conn: socket.socket, _request: bytes) -> None:
        conn.sendall(head)
        while not stop.wait(every):
            conn.sendall(b" ")

    return handle


def flood(total: int, with_length: bool) -> Handler:
    """A handler that sends ``total`` bytes of body, with or without Content-Length."""

    def handle(conn: socket.socket, _request: bytes) -> None:
        head = "HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
        head += f"Content-Length: {total}\r\n" if with_length else "Connection: close\r\n"
        conn.sendall(head.encode() + b"\r\n")
        block = b"[" * 65536
        sent = 0
        while sent < total:
            conn.sendall(block)
            sent += len(block)

    return handle


def non_loopback_address() -> str | None:
    """An address of this machine that is not a loopback one (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def wait_until(test: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if test():
            return True
        time.sleep(0.05)
    return test()
