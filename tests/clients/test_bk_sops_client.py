"""SopsClient: request shapes in both path forms, validation, every API on the sandbox."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from bot.clients._http import Credentials, Transport
from bot.clients._retry import RetryPolicy
from bot.clients.bk_sops import (
    Category,
    CreateMethod,
    CronSpec,
    FlowType,
    GroupBy,
    OperateAction,
    PipelineTree,
    Scope,
    ShowType,
    SopsClient,
    TaskCountConditions,
    TaskState,
    TemplateSource,
    callback_data_for,
    failed_nodes,
    form_constants,
    is_terminal,
    waiting_nodes,
)
from bot.clients.errors import (
    BKEndpointNotFound,
    BKInvalidOperation,
    BKInvalidParameter,
    BKNotFound,
    BKPermissionDenied,
    BKRequestInvalid,
)
from bot.sandbox import ManualClock, Sandbox

APP_CODE, APP_SECRET = "bkchatops", "sandbox-secret"
FIXTURES = Path(__file__).parent.parent / "fixtures"
# the base URLs the reference examples are written against (bk-sops §3)
EXAMPLE_GATEWAY = "https://bkapi.example.com/api/bk-sops/prod"
EXAMPLE_ESB = "https://paas.example.com"
ESB_PATH = "/api/c/compapi/v2/sops"
CREDENTIAL_KEYS = {"bk_app_code", "bk_app_secret", "bk_username"}
# bk-sops §1.5: on whenever present, whatever the value
PRESENCE_FLAGS = {"with_ex_data", "with_failed_node_info", "with_auto_retry_status"}
NO_RETRY = RetryPolicy(max_attempts=1)


async def _no_sleep(_: float) -> None:
    return None


def _load(name: str) -> Any:
    return json.loads((FIXTURES / "bk_sops" / name).read_text())


# ------------------------------------------------------------- request shapes (mock transport)

# One client call per reference example request (tests/fixtures/bk_sops/*.request.json).
EXAMPLE_CALLS: dict[str, tuple[str, dict[str, Any]]] = {
    "get_template_list.1": (
        "get_template_list",
        {"bk_biz_id": 2, "name_keyword": "nginx", "template_source": TemplateSource.BUSINESS},
    ),
    "get_template_info.1": (
        "get_template_info",
        {"template_id": 42, "bk_biz_id": 2, "include_constants": True},
    ),
    "create_task.1": (
        "create_task",
        {
            "template_id": 42,
            "bk_biz_id": 2,
            "name": "nginx restart 2026-08-20 (slack:alice)",
            "template_source": TemplateSource.BUSINESS,
            "constants": {"${ip_list}": "10.0.0.11,10.0.0.12", "${wait_seconds}": "30"},
            "exclude_task_nodes_id": [],
            "flow_type": FlowType.COMMON,
            "callback_url": "https://chatops.example.com/hooks/sops",
            "callback_version": "v2",
            "scope": Scope.CMDB_BIZ,
        },
    ),
    "start_task.1": ("start_task", {"task_id": 1087, "bk_biz_id": 2, "scope": Scope.CMDB_BIZ}),
    "operate_task.1": (
        "operate_task",
        {"task_id": 1087, "bk_biz_id": 2, "action": OperateAction.PAUSE, "scope": Scope.CMDB_BIZ},
    ),
    "node_callback.1": (
        "node_callback",
        {
            "task_id": 1087,
            "bk_biz_id": 2,
            "node_id": "nbc131c04c41b4806baaca3f97fb465d",
            "callback_data": {
                "decision": "approve",
                "approved_by": "alice",
                "channel": "#ops-changes",
            },
            "version": "vb1bf117ec7f244a3b9a7f98ac1f516bd",
            "scope": Scope.CMDB_BIZ,
        },
    ),
    "get_task_status.1": ("get_task_status", {"task_id": 1087, "bk_biz_id": 2}),
    "get_task_status.2": (
        "get_task_status",
        {"task_id": 1087, "bk_biz_id": 2, "with_ex_data": True},
    ),
    "get_task_detail.1": ("get_task_detail", {"task_id": 1087, "bk_biz_id": 2}),
    "get_task_node_detail.1": (
        "get_task_node_detail",
        {
            "task_id": 1087,
            "bk_biz_id": 2,
            "node_id": "nbc131c04c41b4806baaca3f97fb465d",
            "component_code": "pause_node",
        },
    ),
    "query_task_count.1": (
        "query_task_count",
        {
            "bk_biz_id": 2,
            "group_by": GroupBy.STATUS,
            "conditions": TaskCountConditions(
                template_id=42,
                create_time__gte="2026-08-01 00:00:00",
                create_time__lte="2026-08-31 23:59:59",
            ),
            "scope": Scope.CMDB_BIZ,
        },
    ),
    "get_periodic_task_list.1": ("get_periodic_task_list", {"bk_biz_id": 2}),
    "get_periodic_task_info.1": ("get_periodic_task_info", {"task_id": 7, "bk_biz_id": 2}),
    "create_periodic_task.1": (
        "create_periodic_task",
        {
            "template_id": 42,
            "bk_biz_id": 2,
            "name": "nightly nginx restart",
            "template_source": TemplateSource.BUSINESS,
            "cron": CronSpec(minute="0", hour="2"),
            "constants": {"${ip_list}": "10.0.0.11", "${wait_seconds}": "60"},
            "exclude_task_nodes_id": [],
            "scope": Scope.CMDB_BIZ,
        },
    ),
    "set_periodic_task_enabled.1": (
        "set_periodic_task_enabled",
        {"task_id": 7, "bk_biz_id": 2, "enabled": True, "scope": Scope.CMDB_BIZ},
    ),
    "modify_cron_for_periodic_task.1": (
        "modify_cron_for_periodic_task",
        {
            "task_id": 7,
            "bk_biz_id": 2,
            "cron": CronSpec(minute="30", hour="1", day_of_week="1-5"),
            "scope": Scope.CMDB_BIZ,
        },
    ),
    "modify_constants_for_periodic_task.1": (
        "modify_constants_for_periodic_task",
        {
            "task_id": 7,
            "bk_biz_id": 2,
            "constants": {"${wait_seconds}": "90"},
            "scope": Scope.CMDB_BIZ,
        },
    ),
}

# gateway path ids in order (bk-sops §0)
PATH_IDS = {
    "get_template_list": ("bk_biz_id",),
    "get_periodic_task_list": ("bk_biz_id",),
    "query_task_count": ("bk_biz_id",),
    "get_template_info": ("template_id", "bk_biz_id"),
    "create_task": ("template_id", "bk_biz_id"),
    "create_periodic_task": ("template_id", "bk_biz_id"),
}


class Recorder:
    """An httpx mock handler: records every request, answers with the operation's example."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        operation = request.url.path.rstrip("/").split("/")
        name = next(p for p in operation if p in _OPERATIONS)
        return httpx.Response(200, json=_load(f"{name}.1.response.json"))


_OPERATIONS = {method for method, _ in EXAMPLE_CALLS.values()}


def _sent(request: httpx.Request) -> tuple[dict[str, str], dict[str, Any] | None]:
    query = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
    body = json.loads(request.content) if request.content else None
    return query, body


@pytest.fixture
async def mocked() -> AsyncIterator[Callable[..., tuple[SopsClient, Recorder]]]:
    clients: list[httpx.AsyncClient] = []

    def make(**urls: str) -> tuple[SopsClient, Recorder]:
        recorder = Recorder()
        http = httpx.AsyncClient(transport=httpx.MockTransport(recorder))
        clients.append(http)
        transport = Transport(
            http, Credentials(APP_CODE, APP_SECRET), retry=NO_RETRY, sleep=_no_sleep
        )
        return SopsClient(transport, **urls), recorder

    yield make
    for http in clients:
        await http.aclose()


@pytest.mark.parametrize("example", sorted(EXAMPLE_CALLS))
async def test_gateway_form_sends_exactly_the_reference_example(
    example: str, mocked: Callable[..., tuple[SopsClient, Recorder]]
) -> None:
    client, recorder = mocked(gateway_url=EXAMPLE_GATEWAY)
    method, kwargs = EXAMPLE_CALLS[example]
    result = await getattr(client, method)(bk_username="alice", **kwargs)
    assert result is not None

    expected = _load(f"{example}.request.json")
    [request] = recorder.requests
    assert request.method == expected["method"]
    assert request.url.host == "bkapi.example.com"
    assert request.url.path == "/api/bk-sops/prod" + expected["path"]
    auth = json.loads(request.headers["X-Bkapi-Authorization"])
    assert auth == {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "alice"}
    query, body = _sent(request)
    flags = PRESENCE_FLAGS & set(expected["query"])
    assert {k: v for k, v in query.items() if k not in flags} == {
        k: v for k, v in expected["query"].items() if k not in flags
    }
    assert all(query[flag] for flag in flags)
    if expected["method"] == "POST":
        assert body == expected["body"]
    else:
        assert body is None


@pytest.mark.parametrize("example", sorted(EXAMPLE_CALLS))
async def test_esb_form_sends_ids_and_credentials_as_parameters(
    example: str, mocked: Callable[..., tuple[SopsClient, Recorder]]
) -> None:
    client, recorder = mocked(esb_url=EXAMPLE_ESB + "/")
    method, kwargs = EXAMPLE_CALLS[example]
    await getattr(client, method)(bk_username="alice", **kwargs)

    expected = _load(f"{example}.request.json")
    [request] = recorder.requests
    assert "X-Bkapi-Authorization" not in request.headers
    assert str(request.url).split("?")[0] == f"{EXAMPLE_ESB}{ESB_PATH}/{method}/"
    id_names = PATH_IDS.get(method, ("task_id", "bk_biz_id"))
    id_values = [int(v) for v in expected["path"].strip("/").split("/")[1:]]
    ids = dict(zip(id_names, id_values, strict=True))
    credentials = {"bk_app_code": APP_CODE, "bk_app_secret": APP_SECRET, "bk_username": "alice"}
    query, body = _sent(request)
    if expected["method"] == "GET":
        assert body is None
        flags = PRESENCE_FLAGS & set(expected["query"])
        assert {k: v for k, v in query.items() if k not in flags} == {
            **{k: str(v) for k, v in ids.items()},
            **credentials,
            **{k: v for k, v in expected["query"].items() if k not in flags},
        }
    else:
        assert query == {}
        assert body == {**expected["body"], **ids, **credentials}


async def test_every_api_has_a_reference_example_call() -> None:
    public = {name for name in vars(SopsClient) if not name.startswith("_")} - {"uses_gateway"}
    assert public == _OPERATIONS
    assert len(public) == 16


async def test_presence_flags_are_left_out_when_off(
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(gateway_url=EXAMPLE_GATEWAY)
    await client.get_task_status(
        task_id=1087,
        bk_biz_id=2,
        bk_username="alice",
        with_ex_data=False,
        with_failed_node_info=False,
        with_auto_retry_status=False,
    )
    await client.get_task_status(
        task_id=1087, bk_biz_id=2, bk_username="alice", with_failed_node_info=True
    )
    off, on = (_sent(r)[0] for r in recorder.requests)
    assert off == {}
    assert set(on) == {"with_failed_node_info"}
    assert on["with_failed_node_info"] not in ("", "false", "0")


async def test_start_task_may_send_an_empty_body(
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(gateway_url=EXAMPLE_GATEWAY)
    started = await client.start_task(task_id=1087, bk_biz_id=2, bk_username="alice")
    assert started.task_url == "https://bk-sops.example.com/taskflow/execute/3/?instance_id=1087"
    [request] = recorder.requests
    assert request.url.path == "/api/bk-sops/prod/start_task/1087/2/"
    assert _sent(request) == ({}, {})


async def test_scope_goes_in_the_query_for_get_and_the_body_for_post(
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(gateway_url=EXAMPLE_GATEWAY)
    await client.get_task_detail(task_id=1087, bk_biz_id=3, bk_username="bob", scope=Scope.PROJECT)
    await client.operate_task(
        task_id=1087,
        bk_biz_id=3,
        bk_username="bob",
        action=OperateAction.RESUME,
        scope=Scope.PROJECT,
    )
    (get_query, get_body), (post_query, post_body) = (_sent(r) for r in recorder.requests)
    assert get_query == {"scope": "project"}
    assert get_body is None
    assert post_query == {}
    assert post_body == {"action": "resume", "scope": "project"}


async def test_list_and_stack_parameters_use_the_documented_text_forms(
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(gateway_url=EXAMPLE_GATEWAY)
    await client.get_template_list(bk_biz_id=2, bk_username="alice", id_in=[42, 43])
    await client.get_task_node_detail(
        task_id=1087, bk_biz_id=2, bk_username="alice", node_id="n1", subprocess_stack=["na", "nb"]
    )
    templates, node = (_sent(r)[0] for r in recorder.requests)
    assert templates == {"id_in": "42,43"}
    assert json.loads(node["subprocess_stack"]) == ["na", "nb"]


async def test_modify_cron_always_sends_all_five_fields(
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(gateway_url=EXAMPLE_GATEWAY)
    result = await client.modify_cron_for_periodic_task(
        task_id=7, bk_biz_id=2, bk_username="alice", cron=CronSpec(minute="0")
    )
    assert result.cron.startswith("30 1 1-5")  # the example answer, parsed
    [request] = recorder.requests
    assert _sent(request)[1] == {
        "cron": {
            "minute": "0",
            "hour": "*",
            "day_of_week": "*",
            "day_of_month": "*",
            "month_of_year": "*",
        }
    }


@pytest.mark.parametrize(
    ("urls", "expected_url"),
    [
        ({"esb_url": EXAMPLE_ESB}, f"{EXAMPLE_ESB}{ESB_PATH}/query_task_count/"),
        (
            {"esb_url": EXAMPLE_ESB, "gateway_url": EXAMPLE_GATEWAY},
            f"{EXAMPLE_ESB}{ESB_PATH}/query_task_count/",
        ),
        ({"gateway_url": EXAMPLE_GATEWAY}, f"{EXAMPLE_GATEWAY}/query_task_count/2/"),
    ],
)
async def test_query_task_count_prefers_esb_because_the_gateway_lacks_it(
    urls: dict[str, str],
    expected_url: str,
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(**urls)
    count = await client.query_task_count(bk_biz_id=2, bk_username="alice", group_by=GroupBy.STATUS)
    assert count.total == 37
    [request] = recorder.requests
    assert str(request.url) == expected_url
    assert request.method == "POST"


async def test_with_both_urls_the_gateway_form_is_used(
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(esb_url=EXAMPLE_ESB, gateway_url=EXAMPLE_GATEWAY)
    assert client.uses_gateway
    await client.get_task_status(task_id=1087, bk_biz_id=2, bk_username="alice")
    [request] = recorder.requests
    assert str(request.url) == f"{EXAMPLE_GATEWAY}/get_task_status/1087/2/"


async def test_a_client_needs_at_least_one_url() -> None:
    async with httpx.AsyncClient() as http:
        transport = Transport(http, Credentials(APP_CODE, APP_SECRET))
        with pytest.raises(ValueError, match="esb_url"):
            SopsClient(transport)


INVALID_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("create_task", {"template_id": 42, "bk_biz_id": 2, "name": ""}, "name"),
    ("create_task", {"template_id": 42, "bk_biz_id": 2, "name": "x" * 101}, "name"),
    ("create_task", {"template_id": "42", "bk_biz_id": 2, "name": "ok"}, "template_id"),
    ("create_task", {"template_id": 42, "bk_biz_id": -1, "name": "ok"}, "bk_biz_id"),
    (
        "create_task",
        {"template_id": 42, "bk_biz_id": 2, "name": "ok", "callback_url": "ftp://x"},
        "callback_url",
    ),
    (
        "create_task",
        {"template_id": 42, "bk_biz_id": 2, "name": "ok", "constants": {"ip_list": "1"}},
        "constants",
    ),
    (
        "create_task",
        {
            "template_id": 42,
            "bk_biz_id": 2,
            "name": "ok",
            "template_schemes_id": 3,
            "exclude_task_nodes_id": ["node1"],
        },
        "",
    ),
    ("operate_task", {"task_id": 1087, "bk_biz_id": 2, "action": "restart"}, "action"),
    ("node_callback", {"task_id": 1087, "bk_biz_id": 2, "node_id": ""}, "node_id"),
    ("get_task_node_detail", {"task_id": 1087, "bk_biz_id": 2, "node_id": "n", "loop": 0}, "loop"),
    ("query_task_count", {"bk_biz_id": 2, "group_by": "template"}, "group_by"),
    (
        "create_periodic_task",
        {"template_id": 42, "bk_biz_id": 2, "name": "y" * 51, "cron": CronSpec()},
        "name",
    ),
    (
        "create_periodic_task",
        {"template_id": 42, "bk_biz_id": 2, "name": "n", "cron": {"minute": "61"}},
        "cron",
    ),
    ("set_periodic_task_enabled", {"task_id": 7, "bk_biz_id": 2, "enabled": "yes"}, "enabled"),
    (
        "modify_constants_for_periodic_task",
        {"task_id": 7, "bk_biz_id": 2, "constants": {}},
        "constants",
    ),
    ("get_task_status", {"task_id": 1087, "bk_biz_id": 2, "scope": "galaxy"}, "scope"),
]


@pytest.mark.parametrize(("method", "kwargs", "field"), INVALID_CALLS)
async def test_invalid_requests_raise_before_anything_is_sent(
    method: str,
    kwargs: dict[str, Any],
    field: str,
    mocked: Callable[..., tuple[SopsClient, Recorder]],
) -> None:
    client, recorder = mocked(gateway_url=EXAMPLE_GATEWAY)
    with pytest.raises(BKRequestInvalid) as caught:
        await getattr(client, method)(bk_username="alice", **kwargs)
    assert caught.value.operation == method
    assert caught.value.system == "bk_sops"
    assert any(f == field or f.startswith(field + ".") for f in caught.value.fields)
    assert recorder.requests == []


# ---------------------------------------------------------------------- end to end: the sandbox

SANDBOX = "http://sandbox"
SANDBOX_GATEWAY = f"{SANDBOX}/api/bk-sops/prod"
PAUSE_NODE = "nbc131c04c41b4806baaca3f97fb465d"
PAUSE_VERSION = "vb1bf117ec7f244a3b9a7f98ac1f516bd"
WAIT_NODE = "n322a3a2faab54d6cacb40a8a2da97ea"
TEMPLATE_42_NODES = {
    "nodecfc5725adaa2485a86a44f9b2df3",
    "node30640179c8be4a2d9ff5210aeb6f",
    "node5eab2e72ed8b4c29bded4a12333d",
}
# bk-sops §1.7: get_task_status is cached 10 s, get_task_detail 60 s
STATUS_CACHE, DETAIL_CACHE = 10, 60
FORMS = {"esb": {"esb_url": SANDBOX}, "gateway": {"gateway_url": SANDBOX_GATEWAY}}


class Env:
    """A fresh seeded sandbox and a way to build SopsClients over it in-process."""

    def __init__(self, sandbox: Sandbox[ManualClock], http: httpx.AsyncClient) -> None:
        self.sb = sandbox
        self.transport = Transport(
            http, Credentials(APP_CODE, APP_SECRET), retry=NO_RETRY, sleep=_no_sleep
        )

    def client(self, **urls: str) -> SopsClient:
        return SopsClient(self.transport, **urls)

    def advance(self, seconds: float) -> None:
        self.sb.clock.advance(seconds)

    def calls(self, operation: str) -> list[str | None]:
        return [c.bk_username for c in self.sb.calls if c.operation == operation]


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    sandbox = Sandbox(app_code=APP_CODE, app_secret=APP_SECRET, clock=ManualClock())
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url=SANDBOX) as http:
        yield Env(sandbox, http)


@pytest.fixture(params=sorted(FORMS))
def sops(request: pytest.FixtureRequest, env: Env) -> SopsClient:
    """The client in each path form: legacy ESB and API gateway."""
    return env.client(**FORMS[request.param])


async def test_get_template_list_returns_the_projects_templates(sops: SopsClient, env: Env) -> None:
    rows = await sops.get_template_list(bk_biz_id=2, bk_username="alice")
    by_id = {r.id: r for r in rows}
    assert {42, 57, 51} <= set(by_id)
    assert by_id[42].name == "Restart nginx (with approval)"
    assert by_id[42].category is Category.OPS_TOOLS
    assert by_id[42].project_id == 3
    assert "flow_create_task" in by_id[42].auth_actions
    assert 1001 not in by_id  # the common template is not a project template
    nginx = await sops.get_template_list(bk_biz_id=2, bk_username="alice", name_keyword="NGINX")
    assert {r.id for r in nginx} == {42, 57}
    picked = await sops.get_template_list(bk_biz_id=2, bk_username="alice", id_in=[42, 51])
    assert {r.id for r in picked} == {42, 51}
    common = await sops.get_template_list(
        bk_biz_id=2, bk_username="alice", template_source=TemplateSource.COMMON
    )
    assert 1001 in {r.id for r in common}
    assert env.calls("get_template_list") == ["alice"] * 4


async def test_get_template_info_returns_the_reference_tree(sops: SopsClient) -> None:
    info = await sops.get_template_info(
        template_id=42, bk_biz_id=2, bk_username="alice", include_constants=True
    )
    reference = PipelineTree.model_validate(_load("fragment.template_pipeline_tree.json"))
    tree = info.pipeline_tree
    assert tree is not None
    assert set(tree.activities) == set(reference.activities) == TEMPLATE_42_NODES
    assert tree.activities["node30640179c8be4a2d9ff5210aeb6f"].code == "pause_node"
    assert set(tree.flows) == set(reference.flows)
    assert tree.line is None
    assert [f.key for f in form_constants(tree)] == [
        "${ip_list}",
        "${script_content}",
        "${wait_seconds}",
    ]
    assert tree.constants["${ip_list}"].value_schema is not None
    assert info.template_constants is not None
    assert {c.key for c in info.template_constants} == {
        "${ip_list}",
        "${script_content}",
        "${wait_seconds}",
    }


async def test_get_template_info_of_a_missing_template_is_not_found(sops: SopsClient) -> None:
    with pytest.raises(BKNotFound) as caught:
        await sops.get_template_info(template_id=9999, bk_biz_id=2, bk_username="alice")
    assert caught.value.code == 3540400


async def test_create_task_returns_a_created_task_with_its_own_tree(
    sops: SopsClient, env: Env
) -> None:
    created = await sops.create_task(
        template_id=42,
        bk_biz_id=2,
        bk_username="bob",
        name="nginx restart (slack:bob)",
        constants={"${wait_seconds}": "5"},
    )
    assert created.task_url is not None
    assert created.task_url.endswith(f"instance_id={created.task_id}")
    tree = created.pipeline_tree
    assert tree is not None
    assert tree.id is not None
    assert {a.template_node_id for a in tree.activities.values()} == TEMPLATE_42_NODES
    assert all(len(node_id) == 32 and node_id[0] == "n" for node_id in tree.activities)
    assert tree.constants["${wait_seconds}"].value == "5"
    status = await sops.get_task_status(task_id=created.task_id, bk_biz_id=2, bk_username="bob")
    assert status.state is TaskState.CREATED
    assert status.id is None
    assert status.children == {}
    detail = await sops.get_task_detail(task_id=created.task_id, bk_biz_id=2, bk_username="bob")
    assert detail.creator == "bob"
    assert detail.create_method is CreateMethod.API
    assert detail.start_time is None
    assert env.calls("create_task") == ["bob"]


async def test_create_task_without_permission_is_denied(sops: SopsClient) -> None:
    with pytest.raises(BKPermissionDenied):
        await sops.create_task(template_id=42, bk_biz_id=2, bk_username="carol", name="nope")


async def test_start_task_queues_the_start_once(sops: SopsClient, env: Env) -> None:
    created = await sops.create_task(
        template_id=57, bk_biz_id=2, bk_username="alice", name="reload"
    )
    started = await sops.start_task(task_id=created.task_id, bk_biz_id=2, bk_username="alice")
    assert started.task_url == created.task_url
    env.advance(5)
    status = await sops.get_task_status(task_id=created.task_id, bk_biz_id=2, bk_username="alice")
    assert status.state != TaskState.CREATED
    assert created.pipeline_tree is not None
    assert status.id == created.pipeline_tree.id
    with pytest.raises(BKInvalidOperation) as caught:
        await sops.start_task(task_id=created.task_id, bk_biz_id=2, bk_username="alice")
    assert caught.value.code == 3545000


async def test_operate_task_pauses_and_resumes_a_running_task(sops: SopsClient, env: Env) -> None:
    paused = await sops.operate_task(
        task_id=1087, bk_biz_id=2, bk_username="alice", action=OperateAction.PAUSE
    )
    assert paused.message == "success"
    status = await sops.get_task_status(task_id=1087, bk_biz_id=2, bk_username="alice")
    assert status.state is TaskState.SUSPENDED
    await sops.operate_task(
        task_id=1087, bk_biz_id=2, bk_username="alice", action=OperateAction.RESUME
    )
    env.advance(STATUS_CACHE)
    status = await sops.get_task_status(task_id=1087, bk_biz_id=2, bk_username="alice")
    assert status.state is TaskState.RUNNING
    assert env.calls("operate_task") == ["alice", "alice"]


async def test_operate_task_on_a_task_not_started_is_refused(sops: SopsClient) -> None:
    created = await sops.create_task(template_id=57, bk_biz_id=2, bk_username="alice", name="x")
    with pytest.raises(BKInvalidOperation, match="not started"):
        await sops.operate_task(
            task_id=created.task_id, bk_biz_id=2, bk_username="alice", action=OperateAction.REVOKE
        )


async def test_waiting_nodes_of_task_1087_is_the_pause_node(sops: SopsClient) -> None:
    detail = await sops.get_task_detail(task_id=1087, bk_biz_id=2, bk_username="alice")
    status = await sops.get_task_status(task_id=1087, bk_biz_id=2, bk_username="alice")
    assert status.state is TaskState.RUNNING
    assert detail.pipeline_tree is not None
    [node] = waiting_nodes(status, detail.pipeline_tree)
    assert node.node_id == PAUSE_NODE
    assert node.version == PAUSE_VERSION
    assert node.code == "pause_node"
    assert node.name == "Ops approval"
    assert node.prompt == "Approve restart of nginx on ${ip_list}"


async def test_node_callback_finishes_the_pause_node(sops: SopsClient, env: Env) -> None:
    payload = callback_data_for("pause_node", approve=True, extra={"approved_by": "alice"})
    ack = await sops.node_callback(
        task_id=1087,
        bk_biz_id=2,
        bk_username="alice",
        node_id=PAUSE_NODE,
        version=PAUSE_VERSION,
        callback_data=payload,
    )
    assert ack.message == "success"
    assert ack.trace_id
    node = await sops.get_task_node_detail(
        task_id=1087,
        bk_biz_id=2,
        bk_username="alice",
        node_id=PAUSE_NODE,
        component_code="pause_node",
    )
    assert node.state is TaskState.FINISHED
    assert node.output("callback_data") == {"approved_by": "alice"}
    env.advance(STATUS_CACHE)
    status = await sops.get_task_status(task_id=1087, bk_biz_id=2, bk_username="alice")
    assert status.children[PAUSE_NODE].state is TaskState.FINISHED
    assert env.calls("node_callback") == ["alice"]


async def test_node_callback_with_a_stale_version_is_refused(sops: SopsClient) -> None:
    with pytest.raises(BKInvalidOperation):
        await sops.node_callback(
            task_id=1087,
            bk_biz_id=2,
            bk_username="alice",
            node_id=PAUSE_NODE,
            version="v" + "0" * 32,
            callback_data={},
        )


async def test_node_callback_by_a_read_only_user_is_denied(sops: SopsClient) -> None:
    with pytest.raises(BKPermissionDenied):
        await sops.node_callback(
            task_id=1087, bk_biz_id=2, bk_username="carol", node_id=PAUSE_NODE, callback_data={}
        )


async def test_get_task_status_reports_the_waiting_tree_of_1087(sops: SopsClient) -> None:
    status = await sops.get_task_status(task_id=1087, bk_biz_id=2, bk_username="carol")
    assert status.id == "n6b6fb00b2271429684afe8fcbfd0002"
    assert status.name == "nginx restart 2026-08-20 (slack:alice)"
    assert status.children[PAUSE_NODE].state is TaskState.RUNNING
    assert status.children["neb693d84fdcb4969a2dd8121ba0fd33"].state is TaskState.FINISHED
    assert WAIT_NODE not in status.children
    assert status.ex_data is None


async def test_get_task_status_with_ex_data_explains_a_failed_task(sops: SopsClient) -> None:
    plain = await sops.get_task_status(task_id=1072, bk_biz_id=2, bk_username="alice")
    assert plain.state is TaskState.FAILED
    assert not is_terminal(plain.state)
    assert plain.ex_data is None
    status = await sops.get_task_status(
        task_id=1072, bk_biz_id=2, bk_username="alice", with_ex_data=True
    )
    detail = await sops.get_task_detail(task_id=1072, bk_biz_id=2, bk_username="alice")
    [failed] = failed_nodes(status, detail.pipeline_tree)
    assert failed.name == "Check disk usage"
    assert failed.code == "job_fast_execute_script"
    assert failed.error


async def test_get_task_detail_returns_metadata_constants_and_tree(sops: SopsClient) -> None:
    detail = await sops.get_task_detail(task_id=1087, bk_biz_id=2, bk_username="alice")
    assert detail.id == 1087
    assert detail.template_id == 42
    assert detail.project_id == 3
    assert detail.executor == "alice"
    assert detail.finish_time is None
    assert detail.constants["${ip_list}"].value == "10.0.0.11,10.0.0.12"
    assert detail.pipeline_tree is not None
    assert detail.pipeline_tree.id == "n6b6fb00b2271429684afe8fcbfd0002"
    assert detail.pipeline_tree.activities[PAUSE_NODE].template_node_id == (
        "node30640179c8be4a2d9ff5210aeb6f"
    )
    finished = await sops.get_task_detail(task_id=1061, bk_biz_id=2, bk_username="alice")
    assert finished.create_method is CreateMethod.PERIODIC
    assert finished.finish_time is not None
    assert [o.key for o in finished.outputs] == ["${job_inst_id}"]


async def test_get_task_detail_of_a_missing_task_is_not_found(sops: SopsClient) -> None:
    with pytest.raises(BKNotFound):
        await sops.get_task_detail(task_id=424242, bk_biz_id=2, bk_username="alice")


async def test_get_task_node_detail_of_started_and_unreached_nodes(sops: SopsClient) -> None:
    pause = await sops.get_task_node_detail(
        task_id=1087,
        bk_biz_id=2,
        bk_username="alice",
        node_id=PAUSE_NODE,
        component_code="pause_node",
    )
    assert pause.started
    assert pause.version == PAUSE_VERSION
    assert pause.inputs["description"] == "Approve restart of nginx on 10.0.0.11,10.0.0.12"
    assert pause.output("_result") is True
    wait = await sops.get_task_node_detail(
        task_id=1087, bk_biz_id=2, bk_username="alice", node_id=WAIT_NODE
    )
    assert not wait.started
    assert wait.state is TaskState.READY
    assert wait.inputs["bk_timing"] == "30"


async def test_get_task_node_detail_of_an_unknown_node_is_invalid(sops: SopsClient) -> None:
    with pytest.raises(BKInvalidParameter):
        await sops.get_task_node_detail(
            task_id=1087, bk_biz_id=2, bk_username="alice", node_id="n" + "f" * 31
        )


async def test_query_task_count_through_esb_counts_by_group(env: Env) -> None:
    for client in (env.client(esb_url=SANDBOX), env.client(**FORMS["esb"], **FORMS["gateway"])):
        by_status = await client.query_task_count(
            bk_biz_id=2, bk_username="alice", group_by=GroupBy.STATUS
        )
        assert set(by_status.by_code()) == {"CREATED", "EXECUTING", "FINISHED"}
        assert sum(by_status.by_code().values()) == by_status.total
        by_method = await client.query_task_count(
            bk_biz_id=2,
            bk_username="alice",
            group_by=GroupBy.CREATE_METHOD,
            conditions=TaskCountConditions(template_id=42),
        )
        assert by_method.by_code()["periodic"] >= 1
        assert set(by_method.by_code()) >= {m.value for m in CreateMethod}
    assert env.calls("query_task_count") == ["alice"] * 4


async def test_query_task_count_on_a_gateway_only_client_is_endpoint_not_found(
    env: Env,
) -> None:
    client = env.client(gateway_url=SANDBOX_GATEWAY)
    with pytest.raises(BKEndpointNotFound) as caught:
        await client.query_task_count(bk_biz_id=2, bk_username="alice", group_by=GroupBy.STATUS)
    assert caught.value.code == 1640401
    assert caught.value.http_status == 404


async def test_get_periodic_task_list_returns_both_seeded_tasks(sops: SopsClient) -> None:
    rows = {r.id: r for r in await sops.get_periodic_task_list(bk_biz_id=2, bk_username="alice")}
    assert rows[7].enabled is True
    assert rows[5].enabled is False
    assert rows[7].template_id == 42
    schedule = rows[7].schedule
    assert schedule is not None
    assert schedule.spec == CronSpec(minute="0", hour="2")
    assert schedule.timezone == "Asia/Shanghai"


async def test_get_periodic_task_info_returns_form_and_tree(sops: SopsClient) -> None:
    task = await sops.get_periodic_task_info(task_id=7, bk_biz_id=2, bk_username="alice")
    assert task.name == "nightly nginx restart"
    assert task.form["${wait_seconds}"].value == "60"
    assert all(c.show_type is ShowType.SHOW for c in task.form.values())
    assert task.pipeline_tree is not None
    assert {a.template_node_id for a in task.pipeline_tree.activities.values()} == (
        TEMPLATE_42_NODES
    )


async def test_create_periodic_task_creates_it_disabled(sops: SopsClient, env: Env) -> None:
    created = await sops.create_periodic_task(
        template_id=42,
        bk_biz_id=2,
        bk_username="alice",
        name="every 15 minutes",
        cron=CronSpec(minute="*/15", hour="9-18", day_of_week="1-5"),
        constants={"${wait_seconds}": "45"},
    )
    assert created.enabled is False
    assert created.form["${wait_seconds}"].value == "45"
    assert created.schedule is not None
    assert str(created.schedule.spec) == "*/15 9-18 1-5 * *"
    assert created.schedule.timezone == "Asia/Shanghai"
    listed = await sops.get_periodic_task_list(bk_biz_id=2, bk_username="alice")
    assert created.id in {r.id for r in listed}
    assert env.calls("create_periodic_task") == ["alice"]


async def test_set_periodic_task_enabled_enables_and_disables(sops: SopsClient) -> None:
    on = await sops.set_periodic_task_enabled(
        task_id=5, bk_biz_id=2, bk_username="alice", enabled=True
    )
    assert on.enabled is True
    info = await sops.get_periodic_task_info(task_id=5, bk_biz_id=2, bk_username="alice")
    assert info.enabled is True
    off = await sops.set_periodic_task_enabled(
        task_id=5, bk_biz_id=2, bk_username="alice", enabled=False
    )
    assert off.enabled is False


async def test_modify_cron_for_periodic_task_replaces_the_schedule(sops: SopsClient) -> None:
    changed = await sops.modify_cron_for_periodic_task(
        task_id=7,
        bk_biz_id=2,
        bk_username="alice",
        cron=CronSpec(minute="30", hour="1", day_of_week="1-5"),
    )
    assert changed.cron == "30 1 1-5 * * (m/h/d/dM/MY) Asia/Shanghai"
    info = await sops.get_periodic_task_info(task_id=7, bk_biz_id=2, bk_username="alice")
    assert info.cron == changed.cron
    assert info.enabled is True


async def test_modify_constants_for_periodic_task_returns_all_constants(
    sops: SopsClient,
) -> None:
    constants = await sops.modify_constants_for_periodic_task(
        task_id=7, bk_biz_id=2, bk_username="alice", constants={"${wait_seconds}": "90"}
    )
    assert constants["${wait_seconds}"].value == "90"
    assert constants["${job_inst_id}"].show_type is ShowType.HIDE
    info = await sops.get_periodic_task_info(task_id=7, bk_biz_id=2, bk_username="alice")
    assert info.form["${wait_seconds}"].value == "90"


async def test_periodic_changes_by_a_read_only_user_are_denied(sops: SopsClient) -> None:
    with pytest.raises(BKPermissionDenied):
        await sops.set_periodic_task_enabled(
            task_id=7, bk_biz_id=2, bk_username="carol", enabled=False
        )


async def test_a_user_of_another_business_is_denied(sops: SopsClient) -> None:
    with pytest.raises(BKPermissionDenied):
        await sops.get_template_list(bk_biz_id=2, bk_username="dave")
    rows = await sops.get_template_list(bk_biz_id=3, bk_username="dave")
    assert [r.name for r in rows] == ["payments canary restart"]


@pytest.mark.parametrize(("method", "kwargs", "field"), INVALID_CALLS)
async def test_invalid_requests_never_reach_the_sandbox(
    method: str, kwargs: dict[str, Any], field: str, sops: SopsClient, env: Env
) -> None:
    with pytest.raises(BKRequestInvalid):
        await getattr(sops, method)(bk_username="alice", **kwargs)
    assert env.sb.calls == []
