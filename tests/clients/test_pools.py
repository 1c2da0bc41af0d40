"""PoolSet: requests spread over the least busy client; limits shared out; all closed."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from bot.clients._pools import PoolSet


class Held:
    """Answers each request once ``release`` is set, counting what each client received."""

    def __init__(self, count: int) -> None:
        self.release = asyncio.Event()
        self.received = [0] * count

    def client(self, index: int) -> httpx.AsyncClient:
        async def handler(request: httpx.Request) -> httpx.Response:
            self.received[index] += 1
            await self.release.wait()
            if request.url.path == "/boom":
                raise httpx.ConnectError("refused", request=request)
            return httpx.Response(200, json={"client": index})

        return httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://bk")


async def test_requests_in_flight_are_spread_evenly_over_the_clients() -> None:
    held = Held(4)
    pools = PoolSet([held.client(i) for i in range(4)])
    calls = [asyncio.create_task(pools.request("GET", "/status")) for _ in range(12)]
    await asyncio.sleep(0.05)
    assert pools.in_flight() == [3, 3, 3, 3]
    assert held.received == [3, 3, 3, 3]
    held.release.set()
    answers = await asyncio.gather(*calls)
    assert sorted(r.json()["client"] for r in answers) == sorted([0, 1, 2, 3] * 3)
    assert pools.in_flight() == [0, 0, 0, 0]
    await pools.aclose()


async def test_the_next_request_goes_to_the_client_that_finished_first() -> None:
    held = Held(2)
    pools = PoolSet([held.client(0), held.client(1)])
    first = asyncio.create_task(pools.request("GET", "/a"))
    second = asyncio.create_task(pools.request("GET", "/b"))
    await asyncio.sleep(0.02)
    held.release.set()
    await asyncio.gather(first, second)
    # Both idle again: the first client is preferred, and a failure frees its slot too.
    held.release.clear()
    failing = asyncio.create_task(pools.request("GET", "/boom"))
    await asyncio.sleep(0.02)
    assert pools.in_flight() == [1, 0]
    held.release.set()
    with pytest.raises(httpx.ConnectError):
        await failing
    assert pools.in_flight() == [0, 0]
    await pools.aclose()


def test_build_shares_the_limits_out_between_the_pools() -> None:
    made: list[httpx.Limits] = []

    def make(limits: httpx.Limits) -> httpx.AsyncClient:
        made.append(limits)
        return httpx.AsyncClient(limits=limits)

    limits = httpx.Limits(max_connections=100, max_keepalive_connections=18, keepalive_expiry=7)
    pools = PoolSet.build(4, limits=limits, make=make)
    assert len(pools.clients) == 4
    assert {(m.max_connections, m.max_keepalive_connections, m.keepalive_expiry) for m in made} == {
        (25, 5, 7)
    }
    unlimited = PoolSet.build(3, limits=httpx.Limits(max_connections=None), make=make)
    assert made[-1].max_connections is None
    assert len(unlimited.clients) == 3


async def test_aclose_closes_every_client() -> None:
    clients = [httpx.AsyncClient() for _ in range(3)]
    await PoolSet(clients).aclose()
    assert all(c.is_closed for c in clients)


def test_an_empty_pool_set_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        PoolSet([])
