"""The origin absolute links are built from: one source for every answer that holds them.

``Settings.public_url`` (``EEDRAWS_PUBLIC_URL``) when it is set: the origin clients reach the
API at, whatever a request's ``Host`` says. Empty (``make run`` on loopback): the request's own
origin, its ``Host`` (which the edge has checked is one ``host[:port]``) and the connection's
scheme. ``X-Forwarded-Host`` and ``X-Forwarded-Proto`` are never read: whether a proxy
overwrites them or passes on what the client wrote differs from proxy to proxy, and
``EEDRAWS_TRUSTED_PROXY_HOPS`` only counts ``X-Forwarded-For`` entries. Behind a proxy, set
``EEDRAWS_PUBLIC_URL``.

Routes whose answers hold such links declare the ``ABSOLUTE_LINKS`` opt, so the response cache
knows which answers may differ by origin (none when ``public_url`` is set).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from litestar.routes import BaseRoute

# A route handler's opt: its answer holds absolute URLs built from ``PublicOrigin``.
ABSOLUTE_LINKS = "absolute_links"
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


class PublicOrigin:
    """``of(scope)``: ``scheme://host[:port]`` to put in front of a path in an absolute link."""

    def __init__(self, public_url: str) -> None:
        self.public_url = public_url

    def of(self, scope: Mapping[str, Any]) -> str:
        return self.public_url or request_origin(scope, dict(scope["headers"]))


def request_origin(scope: Mapping[str, Any], headers: Mapping[bytes, bytes]) -> str:
    """The origin the request was sent to: its scheme and ``Host`` (lowercase, no default
    port), or the address it reached when HTTP/1.0 sent no ``Host``."""
    scheme = str(scope.get("scheme", "http"))
    host = headers.get(b"host", b"").decode("latin-1").lower()
    if not host:
        address, port = scope.get("server") or ("localhost", None)
        host = f"[{address}]" if ":" in str(address) else str(address)
        host += f":{port}" if port is not None else ""
    return f"{scheme}://{host.removesuffix(_DEFAULT_PORTS.get(scheme, '-'))}"


def absolute_link_paths(routes: Iterable[BaseRoute]) -> frozenset[str]:
    """The paths whose handler declares ``ABSOLUTE_LINKS`` in its opt."""
    return frozenset(
        route.path
        for route in routes
        for handler in getattr(route, "route_handlers", ())
        if handler.opt.get(ABSOLUTE_LINKS)
    )
