"""Host lists as people type them (``0:10.0.0.11,10.0.0.12,group:ID,module:1000``) ↔ targets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Annotated

from pydantic import BeforeValidator, ValidationError

from bot.clients.bk_job import IP, HostIP, TargetServer, TopoNode

__all__ = ["HOSTS_HINT", "Hosts", "format_hosts", "format_target", "parse_hosts"]

HOSTS_HINT = (
    "cloud:ip, comma-separated (cloud 0 may be left out), e.g. 0:10.0.0.11,0:10.0.0.12; "
    "also group:DYNAMIC_GROUP_ID and module:ID / set:ID / biz:ID"
)

_SPLIT = re.compile(r"[,\s]+")
_NODE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*):(\d+)$")
_CLOUD_IP = re.compile(r"^(\d+):(.+)$")
# bk-job §4.2: dynamic groups are CMDB custom-query ids.
_GROUP = "group"


def parse_hosts(text: str) -> TargetServer:
    """Parse a host list into ``target_server`` (bk-job §4.1, §4.2); ValueError when unreadable.

    Items are ``cloud:ip`` or a bare IPv4 (cloud area 0), ``group:ID`` for a dynamic group,
    and ``TYPE:ID`` for a topology node (``module:1000``).
    """
    ips: list[IP] = []
    groups: list[str] = []
    nodes: list[TopoNode] = []
    for item in (part for part in _SPLIT.split(text.strip()) if part):
        kind, _, rest = item.partition(":")
        if kind.lower() == _GROUP and rest:
            groups.append(rest)
            continue
        node = _NODE.match(item)
        if node is not None:
            nodes.append(TopoNode(id=int(node.group(2)), node_type=node.group(1).lower()))
            continue
        cloud_ip = _CLOUD_IP.match(item)
        cloud, ip = (int(cloud_ip.group(1)), cloud_ip.group(2)) if cloud_ip else (0, item)
        try:
            ips.append(IP(bk_cloud_id=cloud, ip=ip))
        except ValidationError:
            raise ValueError(
                f"`{item}` is not a host: write cloud:ip (0:10.0.0.11), group:ID or module:ID"
            ) from None
    if not (ips or groups or nodes):
        raise ValueError("needs at least one host, e.g. 0:10.0.0.11")
    return TargetServer(
        ip_list=_unique(ips) or None,
        dynamic_group_id_list=list(dict.fromkeys(groups)) or None,
        topo_node_list=nodes or None,
    )


def _unique(ips: list[IP]) -> list[IP]:
    seen: dict[tuple[int, str], IP] = {}
    for ip in ips:
        seen.setdefault((ip.bk_cloud_id, ip.ip), ip)
    return list(seen.values())


def _parse(value: object) -> object:
    if isinstance(value, str):
        return parse_hosts(value)
    return value


# A command field holding hosts: typed text is parsed when the command is read, so a form
# shows a bad host next to its field before anything is sent to BlueKing.
Hosts = Annotated[TargetServer, BeforeValidator(_parse)]


def format_hosts(hosts: Iterable[HostIP], groups: Iterable[str] = ()) -> str:
    """``0:10.0.0.11,0:10.0.0.12,group:ID``: the text ``parse_hosts`` reads back."""
    items = [f"{h.bk_cloud_id or 0}:{h.ip}" for h in hosts if h.ip]
    items += [f"{_GROUP}:{g}" for g in groups if g]
    return ",".join(items)


def format_target(target: TargetServer) -> str:
    """A ``target_server`` as host-list text."""
    items = [f"{ip.bk_cloud_id}:{ip.ip}" for ip in target.ip_list or []]
    items += [f"{_GROUP}:{g}" for g in target.dynamic_group_id_list or []]
    items += [f"{n.node_type}:{n.id}" for n in target.topo_node_list or []]
    return ",".join(items)
