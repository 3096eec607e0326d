"""granian with one listening socket for all workers, drained before it closes.

granian 2.8 on Linux gives each worker its own ``SO_REUSEPORT`` socket. The kernel spreads new
connections over those sockets, so each worker has its own accept queue, and a queue dies with
its socket: the connections waiting on a worker killed by ``kill -9`` or the OOM killer, and on
every worker at SIGTERM, were reset (8 of 58 lost on a worker kill; 1-5 resets per SIGTERM).

``Server`` binds one socket in the main process, as granian already does for Unix sockets and on
other systems, and the workers (forked) accept from it. The main process holds it open for the
server's whole life: a killed worker takes no queued connection with it, the others and its
replacement accept them. At shutdown it is drained before anything closes:

1. a socket filter drops new SYNs on it (their clients retry, and are refused once it closes,
   so a load balancer moves them on); a handshake already under way still completes;
2. the workers go on accepting until the kernel's accept queue is empty (``TCP_INFO``);
3. then granian stops the workers, which answer every connection they hold, and the socket
   closes with nothing queued on it.
See docs/operations.md and docs/decisions/0012-one-listening-socket.md.
"""

from __future__ import annotations

import ctypes
import logging
import socket
import struct
import sys
import time
from typing import Any

from granian._granian import ListenerSpec
from granian.server import MPServer

log = logging.getLogger("eedraws.serving")

_SO_ATTACH_FILTER = 26  # linux/asm-generic/socket.h
# Classic BPF on a TCP socket sees the packet from the TCP header: byte 13 holds the flags.
# A segment whose SYN is set and ACK is not opens a new connection: drop it; keep the rest.
_DROP_NEW_CONNECTIONS = (
    (0x30, 0, 0, 13),  # ldb [13]
    (0x54, 0, 0, 0x12),  # and #(SYN|ACK)
    (0x15, 0, 1, 0x02),  # jeq #SYN, drop, keep
    (0x06, 0, 0, 0),  # drop: ret #0
    (0x06, 0, 0, 0xFFFFFFFF),  # keep: ret #-1
)
# struct tcp_info: for a listening socket tcpi_unacked is the accept queue's length.
_TCPI_UNACKED = 24


def refuse_new_connections(sock: socket.socket) -> None:
    """Make the kernel drop new connection attempts on the listening ``sock``; the connections
    already in its accept queue stay there to be accepted."""
    code = b"".join(struct.pack("HBBI", *instruction) for instruction in _DROP_NEW_CONNECTIONS)
    program = ctypes.create_string_buffer(code, len(code))
    # struct sock_fprog { unsigned short len; struct sock_filter *filter; } (kernel copies it)
    fprog = struct.pack("HxxxxxxQ", len(_DROP_NEW_CONNECTIONS), ctypes.addressof(program))
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)


def accept_queue_length(sock: socket.socket) -> int:
    """Connections the kernel completed on the listening ``sock`` that no one accepted yet."""
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    length: int = struct.unpack_from("I", info, _TCPI_UNACKED)[0]
    return length


def drain(sock: socket.socket, seconds: float) -> tuple[int, float]:
    """Refuse new connections on ``sock`` and wait (at most ``seconds``) until the workers have
    accepted every queued one; return (connections queued at the start, seconds taken)."""
    started = time.monotonic()
    refuse_new_connections(sock)
    queued = accept_queue_length(sock)
    quiet_since = started
    while time.monotonic() - started < seconds:
        now = time.monotonic()
        if accept_queue_length(sock):
            quiet_since = now
        elif now - quiet_since >= 0.05:  # a handshake under way at the filter has landed
            break
        time.sleep(0.005)
    return queued, time.monotonic() - started


class Server(MPServer):
    """granian's multi-process server with one shared listening socket, drained at shutdown.

    Overrides two hooks of granian's (private) server class; pyproject pins granian to the
    minor version this was written against, and tests/integration/test_serve_resilience.py
    fails if the socket is no longer shared or no longer drained.
    """

    def __init__(self, *args: Any, drain_seconds: float = 10.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.drain_seconds = drain_seconds

    def _init_shared_socket(self) -> None:
        if self.bind_uds or sys.platform != "linux":
            super()._init_shared_socket()  # type: ignore[no-untyped-call]  # shared already
            return
        self._ssp = None  # no per-worker socket spec: workers use the inherited one
        holder: Any = ListenerSpec(self.bind_addr, self.bind_port, self.backlog).build()
        self._shd = holder
        self._sfd = holder.get_fd()
        self._sso = socket.socket(fileno=self._sfd)
        self._sso.set_inheritable(True)

    def _drop_shared_socket(self) -> None:
        # Called at shutdown before the workers are stopped: they are still accepting.
        sock: socket.socket | None = self._sso
        tcp = sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6)
        if sock is not None and tcp and sys.platform == "linux":  # SO_ATTACH_FILTER, TCP_INFO
            try:
                queued, seconds = drain(sock, self.drain_seconds)
            except OSError as exc:
                log.warning("could not drain the listening socket: %s", exc)
            else:
                log.info(
                    "stopped accepting; %d queued connection(s) drained in %.2fs", queued, seconds
                )
        super()._drop_shared_socket()  # type: ignore[no-untyped-call]
