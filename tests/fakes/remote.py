"""Run the fake Slack as a separate process and read its records through the control API."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from ._records import (
    Ephemeral,
    FakeChannel,
    FakeUser,
    Fault,
    Message,
    RecordedCall,
    ResponsePost,
    UploadedFile,
    View,
)

__all__ = ["RemoteFakeSlack", "spawn_fake_slack"]

REPO_ROOT = Path(__file__).resolve().parents[2]


class RemoteFakeSlack:
    """The `FakeSlack` read/fault API over HTTP, for a fake served by another process."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self._http = httpx.Client(base_url=self.url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def api_url(self) -> str:
        return f"{self.url}/api/"

    def response_url(self, response_id: str) -> str:
        return f"{self.url}/response/{quote(response_id, safe='')}"

    def _get(self, path: str, **query: str | None) -> list[dict[str, Any]]:
        params = {k: v for k, v in query.items() if v is not None}
        response = self._http.get(f"/_fake/{path}", params=params)
        response.raise_for_status()
        items: list[dict[str, Any]] = response.json()
        return items

    def _post(self, path: str, payload: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.post(f"/_fake/{path}", json=dict(payload or {}))
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        return [RecordedCall.from_json(c) for c in self._get("calls", method=method)]

    def messages(self, channel: str | None = None) -> list[Message]:
        return [Message.from_json(m) for m in self._get("messages", channel=channel)]

    def thread(self, channel: str, ts: str) -> list[Message]:
        return [Message.from_json(m) for m in self._get("thread", channel=channel, ts=ts)]

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        return [Ephemeral.from_json(e) for e in self._get("ephemerals", user=user)]

    def views(self) -> list[View]:
        return [View.from_json(v) for v in self._get("views")]

    def files(self) -> list[UploadedFile]:
        return [UploadedFile.from_json(f) for f in self._get("files")]

    def responses(self, response_id: str | None = None) -> list[ResponsePost]:
        return [ResponsePost.from_json(r) for r in self._get("responses", id=response_id)]

    def fail(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        times: int | None = None,
        where: Mapping[str, str] | None = None,
    ) -> Fault:
        """Same defaults as `FakeSlack.fail`."""
        answer = self._post(
            "fail",
            {
                "method": method,
                "error": error,
                "status": status,
                "retry_after": retry_after,
                "times": times,
                "where": dict(where) if where else None,
            },
        )
        return Fault.from_json(answer["result"])

    def latency(self, method: str, seconds: float, *, times: int | None = None) -> None:
        self._post("latency", {"method": method, "seconds": seconds, "times": times})

    def delayed(self, method: str) -> int:
        """How many calls to `method` a latency has held back so far (answered or still held)."""
        response = self._http.get("/_fake/delayed", params={"method": method})
        response.raise_for_status()
        count: int = response.json()["count"]
        return count

    def limit_posts_per_channel(self, per_second: float = 1.0, *, burst: int = 1) -> None:
        self._post("limits/posts", {"per_second": per_second, "burst": burst})

    def limit_method(self, method: str, *, per_minute: float, burst: int | None = None) -> None:
        self._post("limits/method", {"method": method, "per_minute": per_minute, "burst": burst})

    def set_users(self, users: Iterable[FakeUser]) -> None:
        self._post("users", {"users": [u.to_json() for u in users]})

    def add_channel(self, channel: FakeChannel) -> None:
        self._post("channels", {"channels": [channel.to_json()]})

    def reset(self) -> None:
        self._post("reset")


@contextmanager
def spawn_fake_slack(port: int = 0) -> Iterator[RemoteFakeSlack]:
    """Start `python -m tests.fakes.slack_api --port PORT`, yield a client, stop it after."""
    command = [sys.executable, "-m", "tests.fakes.slack_api", "--port", str(port)]
    with subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            if not url.startswith("http://"):
                raise RuntimeError(f"the fake Slack process did not start (printed {url!r})")
            with RemoteFakeSlack(url) as remote:
                yield remote
        finally:
            proc.terminate()
            proc.wait(timeout=10)
