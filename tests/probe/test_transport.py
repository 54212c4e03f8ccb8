"""The probe's HTTP/1.1 pool: connections are reused, and never when the exchange was cut short.

A small asyncio server on loopback (plain http: the pool is the same for TLS) counts the
connections it accepts. ``/close`` answers with ``Connection: close``; ``/hangup`` answers and
then closes without saying so (a keep-alive timeout on the server); ``/big`` sends a body
larger than the probe reads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mtlsguard.probe.client import ProbeClient
from mtlsguard.probe.config import Identity, ProbeConfig

BIG = 256 << 10


class CountingServer:
    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                self.requests.append(path)
                body = b"x" * (BIG if path == "/big" else 2)
                extra = b"Connection: close\r\n" if path == "/close" else b""
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n" % (len(body), extra) + body
                )
                await writer.drain()
                if path in ("/close", "/hangup"):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def serving(
    check: Callable[[str, CountingServer], Awaitable[None]],
) -> CountingServer:
    counting = CountingServer()
    listening = await asyncio.start_server(counting.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    async with listening:
        await check(f"http://127.0.0.1:{port}/", counting)
    return counting


def config(url: str, **extra: Any) -> ProbeConfig:
    return ProbeConfig(base_url=url, identity=Identity("A"), timeout=5.0, **extra)


def test_keep_alive_reuses_one_connection() -> None:
    async def check(url: str, counting: CountingServer) -> None:
        async with ProbeClient(config(url)) as client:
            for _ in range(20):
                got = await client.send(None, "GET", "/ok")
                assert (got.status, got.body, got.failure) == (200, b"xx", None)

    assert asyncio.run(serving(check)).connections == 1


def test_concurrent_requests_use_at_most_concurrency_connections() -> None:
    async def check(url: str, counting: CountingServer) -> None:
        async with ProbeClient(config(url, concurrency=4)) as client:
            got = await asyncio.gather(*(client.send(None, "GET", "/ok") for _ in range(40)))
        assert all(g.status == 200 for g in got)

    counting = asyncio.run(serving(check))
    assert 1 <= counting.connections <= 4
    assert len(counting.requests) == 40


@pytest.mark.parametrize("first", ["/close", "/hangup", "/big"])
def test_a_connection_cut_short_is_not_reused(first: str) -> None:
    async def check(url: str, counting: CountingServer) -> None:
        async with ProbeClient(config(url, max_body=1024)) as client:
            got = await client.send(None, "GET", first)
            assert got.status == 200
            assert got.truncated is (first == "/big")
            await asyncio.sleep(0.05)  # the server's close reaches the client
            again = await client.send(None, "GET", "/ok")
        assert (again.status, again.failure) == (200, None)

    counting = asyncio.run(serving(check))
    assert counting.connections == 2
    assert counting.requests == [first, "/ok"]
