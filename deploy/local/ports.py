"""Ports: finding free ones for tests, and refusing to start on taken ones."""

from __future__ import annotations

import socket
from collections.abc import Iterable


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Distinct free ports, held open together so the kernel does not hand one out twice."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((host, 0))
            sockets.append(sock)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.3)
        return sock.connect_ex((host, port)) == 0


def taken_ports(
    wanted: Iterable[tuple[str, int]], host: str = "127.0.0.1"
) -> list[tuple[str, int]]:
    return [(name, port) for name, port in wanted if port_in_use(port, host)]
