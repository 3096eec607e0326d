"""A PgProxy that, when armed, drops the connection in the middle of a COPY's output: it passes
on the server's CopyOutResponse and a little of the rows after it, then cuts, as a server that
dies (or a network that drops) mid-export does."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.support.pgproxy import PgProxy

# CopyOutResponse: 'H', then its length (an int32, small: its high bytes are zero).
COPY_OUT = b"H\x00\x00"
PASSED_ON = 600  # bytes after it: the first rows' CopyData messages


class CopyCutProxy(PgProxy):
    def __init__(self, target_url: str) -> None:
        super().__init__(target_url)
        self.armed = False
        self.cuts = 0

    def _server_bytes(self, data: bytes) -> tuple[bytes, bool]:
        at = data.find(COPY_OUT) if self.armed else -1
        if at < 0:
            return data, False
        self.armed = False
        self.cuts += 1
        return data[: at + PASSED_ON], True


@contextlib.contextmanager
def copy_cut_proxy(target_url: str) -> Iterator[CopyCutProxy]:
    proxy = CopyCutProxy(target_url)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
