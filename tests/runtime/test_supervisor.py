"""``bind_sockets``: the listening sockets of ``specwright serve --workers N``."""

from __future__ import annotations

import socket
import sys

import pytest
from click.testing import CliRunner

from specwright.runtime.cli import main
from specwright.runtime.cli.supervisor import bind_sockets

reuse_port = pytest.mark.skipif(sys.platform != "linux",
                                reason="a socket per worker on Linux only (SO_REUSEPORT)")


@reuse_port
def test_one_socket_per_worker_on_one_port() -> None:
    sockets = bind_sockets("127.0.0.1", 0, 3, 128)
    try:
        assert len({id(s) for s in sockets}) == 3
        ports = {s.getsockname()[1] for s in sockets}
        assert len(ports) == 1 and ports != {0}
        for s in sockets:
            assert s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
            assert s.get_inheritable()
    finally:
        for s in sockets:
            s.close()


def test_accepted_connections_are_tcp_so_asyncio_disables_nagle() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose ``proto`` is TCP; an accepted socket
    takes it from the listening one. Without it every response waited 40 ms for an ACK."""
    [listening] = bind_sockets("127.0.0.1", 0, 1, 8)
    try:
        with socket.create_connection(listening.getsockname()[:2]):
            accepted, _ = listening.accept()
            with accepted:
                assert accepted.proto == socket.IPPROTO_TCP
    finally:
        listening.close()


def test_a_port_in_use_is_one_clear_error_and_status_3() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(OSError):
            bind_sockets("127.0.0.1", port, 2, 8)
        result = CliRunner().invoke(main, ["serve", "--workers", "2", "--port", str(port)])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output


@reuse_port
def test_a_second_server_on_the_port_is_refused_not_joined() -> None:
    """SO_REUSEPORT alone would let a second ``serve --workers`` share the first's port."""
    first = bind_sockets("127.0.0.1", 0, 2, 8)
    try:
        with pytest.raises(OSError):
            bind_sockets("127.0.0.1", first[0].getsockname()[1], 2, 8)
    finally:
        for s in first:
            s.close()
