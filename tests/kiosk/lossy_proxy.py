"""A real TCP proxy in front of the server that loses answers to ticket requests.

For the first `lose` requests that issue a ticket it forwards the request, lets the server do the
work, then throws the answer away and hangs up: the case a kiosk cannot tell from "nothing was
issued" unless it names its request (Idempotency-Key).
"""

import contextlib
import socket
import threading
from types import TracebackType
from urllib.parse import urlsplit

ISSUING = b"POST /api/v1/branches/"


class LossyProxy:
    def __init__(self, server_url: str, *, lose: int) -> None:
        target = urlsplit(server_url)
        self.target = (target.hostname or "127.0.0.1", target.port or 80)
        self.to_lose = lose
        self.lost = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def __enter__(self) -> "LossyProxy":
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            losing = threading.Event()
            threading.Thread(target=self._requests, args=(client, upstream, losing), daemon=True).start()
            threading.Thread(target=self._answers, args=(upstream, client, losing), daemon=True).start()

    def _requests(self, client: socket.socket, upstream: socket.socket, losing: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while chunk := client.recv(65536):
                if chunk.startswith(ISSUING) and b"/tickets " in chunk.split(b"\r\n", 1)[0]:
                    with self._lock:
                        if self.to_lose > 0:
                            self.to_lose -= 1
                            losing.set()
                upstream.sendall(chunk)
        upstream.close()

    def _answers(self, upstream: socket.socket, client: socket.socket, losing: threading.Event) -> None:
        with contextlib.suppress(OSError):
            while chunk := upstream.recv(65536):
                if losing.is_set():  # the server has answered: drop it and hang up on the kiosk
                    with self._lock:
                        self.lost += 1
                    break
                client.sendall(chunk)
        for end in (client, upstream):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
