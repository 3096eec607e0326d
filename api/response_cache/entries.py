"""A cached response: status, headers and body, with compressed variants and the messages that
send it made once."""

from __future__ import annotations

import functools
import gzip

import brotli
import msgspec

COMPRESS_MIN_BYTES = 1024
# Already compressed: gzip or brotli would cost CPU and save nothing.
_COMPRESSED_TYPES = (b"application/vnd.openxmlformats", b"application/zip", b"image/png")

Header = tuple[bytes, bytes]


class CacheEntry(msgspec.Struct):
    """An encoded 200 response; compressed variants are filled in on first demand.

    ``cost`` is the cost the app reported for making it (a GraphQL operation's, under
    api/ratelimit.py's ``COST_STATE_KEY``), so a client is charged it for a cached answer too.
    ``sent`` holds, per coding asked for (and per 304), the finished header list and body this
    worker sends it with, made on its first sending: the edge's headers are not rebuilt per
    request. Neither ``sent`` nor the compressed variants go to Redis.
    """

    status: int
    headers: list[Header]
    body: bytes
    gzip: bytes | None = None
    br: bytes | None = None
    cost: int = 0
    sent: dict[str, tuple[list[Header], bytes]] | None = None

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)

    @property
    def precompressed(self) -> bool:
        return (self.header(b"content-type") or b"").startswith(_COMPRESSED_TYPES)

    def encoding_for(self, wanted: str) -> str:
        """The coding to send: ``wanted``, unless compressing would not pay."""
        if len(self.body) < COMPRESS_MIN_BYTES or self.precompressed:
            return "identity"
        return wanted

    def variant(self, encoding: str) -> bytes:
        if encoding == "br":
            if self.br is None:
                self.br = brotli.compress(self.body, quality=6)
            return self.br
        if encoding == "gzip":
            if self.gzip is None:
                self.gzip = gzip.compress(self.body, compresslevel=6, mtime=0)
            return self.gzip
        return self.body


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(CacheEntry)


def encode_entry(entry: CacheEntry) -> bytes:
    """The entry without its compressed variants (each worker makes its own on demand)."""
    return _encoder.encode(CacheEntry(entry.status, entry.headers, entry.body, cost=entry.cost))


def decode_entry(raw: bytes) -> CacheEntry | None:
    try:
        return _decoder.decode(raw)
    except msgspec.DecodeError:
        return None


@functools.lru_cache(maxsize=256)
def choose_encoding(accept_encoding: bytes) -> str:
    """br, then gzip, then identity; a coding refused with q=0 is not used."""
    offered: dict[str, float] = {}
    for part in accept_encoding.decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        offered[name.strip()] = q
    star = offered.get("*", 0.0)
    for coding in ("br", "gzip"):
        if offered.get(coding, star) > 0:
            return coding
    return "identity"
