"""Several small httpx connection pools used as one: httpcore's bookkeeping grows with a pool."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx

__all__ = ["PoolSet"]


class PoolSet:
    """Sends each request through the least busy of several ``httpx.AsyncClient`` s.

    On every request and every response, httpcore's pool matches each waiting request against
    each of its connections and asks each idle one whether its socket is readable, so its CPU
    cost per call grows with the pool. Sixteen calls in flight cost about twice the CPU per
    call in one pool of 16 connections as in four pools of four (docs/benchmarks.md,
    "Poller"); the poller keeps that many in flight all the time.
    """

    def __init__(self, clients: Sequence[httpx.AsyncClient]) -> None:
        if not clients:
            raise ValueError("a PoolSet needs at least one client")
        self._clients = tuple(clients)
        # Requests in flight per client; the least busy takes the next one.
        self._busy = [0] * len(self._clients)

    @classmethod
    def build(
        cls,
        pools: int,
        *,
        limits: httpx.Limits,
        make: Callable[[httpx.Limits], httpx.AsyncClient],
    ) -> PoolSet:
        """``pools`` clients sharing ``limits`` out between them (at least one connection each)."""
        share = httpx.Limits(
            max_connections=_split(limits.max_connections, pools),
            max_keepalive_connections=_split(limits.max_keepalive_connections, pools),
            keepalive_expiry=limits.keepalive_expiry,
        )
        return cls([make(share) for _ in range(max(1, pools))])

    @property
    def clients(self) -> tuple[httpx.AsyncClient, ...]:
        """The clients, in the order they are preferred when equally busy."""
        return self._clients

    def in_flight(self) -> list[int]:
        """Requests in flight per client (metrics and tests)."""
        return list(self._busy)

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """``httpx.AsyncClient.request`` on the client with the fewest requests in flight."""
        index = min(range(len(self._busy)), key=self._busy.__getitem__)
        self._busy[index] += 1
        try:
            return await self._clients[index].request(
                method, url, params=params, json=json, headers=headers
            )
        finally:
            self._busy[index] -= 1

    async def aclose(self) -> None:
        """Close every client's connections."""
        for client in self._clients:
            await client.aclose()


def _split(total: int | None, pools: int) -> int | None:
    # None means "no limit" to httpx: each pool is unlimited too.
    if total is None:
        return None
    return max(1, -(-total // max(1, pools)))
