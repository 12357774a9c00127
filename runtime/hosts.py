"""Which host names and addresses are this machine's loopback: one answer for every caller.

The server refuses to start keyless on anything else, the fake provider binds only loopback,
and the test network guard lets only loopback traffic through.
"""

from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def is_loopback(host: object) -> bool:
    """True for loopback names (``localhost``, ``*.localhost``) and addresses (127.0.0.0/8,
    ``::1``, IPv4-mapped ``::ffff:127.0.0.1``), with or without brackets and a zone.

    An empty host is not loopback: to a server it means every interface.
    """
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    name = host.strip("[]").split("%", 1)[0].lower()
    if not name:
        return False
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)
