"""The cluster harness's own logic, without a cluster: names, configurations, bookkeeping."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cluster.diagnostics import failed_requests_summary, is_problem, lines_naming
from tests.cluster.network import port_name
from tests.cluster.nodes import daemon_config
from tests.cluster.registry import config_text
from tests.cluster.routers import RouterWatch
from tests.cluster.summary import ClusterSummary
from tests.cluster.topology import NODES, PREFIX, REGISTRY, NodeSpec, gpu_nodes, managers
from tests.cluster.traffic import LOAD_REQUEST_ID, Outcomes, page_load


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=40))
def test_hub_side_link_names_fit_the_kernels_limit(name: str) -> None:
    """Interface names have at most 15 characters (IFNAMSIZ - 1), whatever the namespace."""
    assert len(port_name(PREFIX + name)) <= 15


def test_link_names_of_the_cluster_are_distinct() -> None:
    """No two namespaces of the cluster plug into the hub with the same link name."""
    names = [port_name(spec.netns) for spec in NODES] + [port_name(f"{PREFIX}registry")]
    assert len(set(names)) == len(names)


def test_the_cluster_has_a_quorum_gpu_spares_and_one_db_node() -> None:
    """Three managers, GPUs to spare for a lost GPU node, exactly one node labelled db=true."""
    assert len(managers()) == 3
    assert sum(spec.gpus for spec in gpu_nodes()) >= 3
    assert [spec.name for spec in NODES if "db=true" in spec.labels] == ["node3"]


def test_each_gpu_node_advertises_its_own_named_gpus(tmp_path: Path) -> None:
    """node-generic-resources lists one NVIDIA-GPU=<uuid> per GPU, unique across the cluster."""
    advertised = []
    for spec in NODES:
        config = daemon_config(spec, tmp_path / spec.name)
        resources = config.get("node-generic-resources", [])
        assert len(resources) == spec.gpus
        advertised += resources
    assert len(set(advertised)) == len(advertised)
    assert all(item.startswith("NVIDIA-GPU=GPU-") for item in advertised)


def test_a_node_keeps_its_state_in_its_own_folder_and_run(tmp_path: Path) -> None:
    """Data root and socket under the node's folder; exec root and pid file in its private /run."""
    spec = NodeSpec(7, manager=False)
    config = daemon_config(spec, tmp_path)
    assert config["data-root"] == str(tmp_path / "data")
    assert f"unix://{tmp_path / 'docker.sock'}" in config["hosts"]
    assert config["exec-root"].startswith("/run/")
    assert config["pidfile"].startswith("/run/")
    assert REGISTRY in config["insecure-registries"]


def test_the_registry_listens_on_the_cluster_address_only(tmp_path: Path) -> None:
    """The registry's config stores under the given folder and binds the cluster address."""
    config = json.loads(config_text(tmp_path))
    assert config["http"]["addr"] == REGISTRY
    assert config["storage"]["filesystem"]["rootdirectory"] == str(tmp_path)


def test_outcomes_count_only_requests_started_after_a_moment() -> None:
    """Failures before the moment (in flight at a node loss) are not counted after it."""
    outcomes = Outcomes()
    outcomes.add(1.0, "ReadTimeout")
    outcomes.add(2.0, None)
    outcomes.add(3.0, "RemoteProtocolError")
    outcomes.add(4.0, None)
    assert outcomes.after(1.5) == (3, 1)
    assert outcomes.after(3.5) == (1, 0)


def test_outcomes_name_the_requests_in_flight_at_a_moment_slowest_first() -> None:
    """Only requests running at the moment count, with how long each took."""
    outcomes = Outcomes()
    outcomes.add(1.0, None, took_s=0.5)  # over before
    outcomes.add(2.0, None, took_s=2.0)
    outcomes.add(2.5, None, took_s=17.0)
    outcomes.add(3.5, None, took_s=1.0)  # started after
    assert outcomes.in_flight_at(3.0) == [17.0, 2.0]


def test_outcomes_name_the_requests_still_running_longest_first() -> None:
    """A request begun and not ended is running; ending it removes it."""
    outcomes = Outcomes()
    first = outcomes.begin("load-0000abcd-1")
    outcomes.begin("load-0000abcd-2")
    outcomes.begin("load-0000abcd-3")
    outcomes.add(first, None, took_s=0.1, request_id="load-0000abcd-1")
    running = outcomes.still_running()
    assert [request_id for request_id, _ in running] == ["load-0000abcd-2", "load-0000abcd-3"]
    assert running[0][1] >= running[1][1] >= 0


class _StallingApp(BaseHTTPRequestHandler):
    """Serves the translate page's CSRF field; every translation hangs until `release` is set."""

    release: ClassVar[threading.Event] = threading.Event()
    seen_ids: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        body = b'<form><input name="csrf_token" value="t0ken"></form>'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.seen_ids.append(self.headers.get("X-Request-ID", ""))
        self.release.wait(timeout=30)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_a_stalled_page_load_names_the_requests_it_waits_for() -> None:
    """The failure lists each hanging request by the X-Request-ID the app received (the id
    the diagnostics then follow through every container's log)."""
    _StallingApp.release.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _StallingApp)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        load = page_load(f"http://127.0.0.1:{server.server_address[1]}", workers=2)
        with load:
            with pytest.raises(AssertionError) as stalled:
                load.wait_for_requests(3, timeout_s=1.0)
            _StallingApp.release.set()  # before the load's exit joins its workers
    finally:
        _StallingApp.release.set()
        server.shutdown()
        server.server_close()
    named = LOAD_REQUEST_ID.findall(str(stalled.value))
    assert len(named) == 2, str(stalled.value)
    assert set(named) <= set(_StallingApp.seen_ids), (named, _StallingApp.seen_ids)
    assert "load sent only 2 requests" in str(stalled.value)


def test_a_check_is_recorded_as_passed_or_failed_with_its_figures() -> None:
    """The summary says PASS with the figures, or FAIL with the figures and the first error line."""
    summary = ClusterSummary()
    with summary.check("good") as figures:
        figures.append("42 requests")

    def failing_check() -> None:
        with summary.check("bad") as figures:
            figures.append("1 failed")
            raise AssertionError("1 failed of 9\nmore detail")

    with pytest.raises(AssertionError):
        failing_check()
    lines = summary.lines()
    assert "PASS good: 42 requests" in lines
    assert "FAIL bad: 1 failed; failed: 1 failed of 9" in lines


def test_diagnostics_pick_warnings_errors_and_cut_requests_from_container_logs() -> None:
    """Warnings, errors, cut (OriginStatus 0) and 5xx answers are kept; the rest is noise."""
    assert is_problem('{"level": "WARNING", "message": "backend stream failed"}')
    assert is_problem('{"level": "error", "message": "Health check failed."}')
    assert is_problem('{"OriginStatus": 0, "DownstreamStatus": 200}')
    assert is_problem('{"OriginStatus": 502, "DownstreamStatus": 502}')
    assert not is_problem('{"OriginStatus": 200, "DownstreamStatus": 200}')
    assert not is_problem('{"level": "INFO", "message": "request"}')
    assert not is_problem("plain text")


def test_a_requests_trail_holds_its_own_lines_only() -> None:
    """Each named id's lines, whatever their level; a longer id sharing its start is another."""
    lines = [
        '{"level": "INFO", "message": "request", "request_id": "load-0000abcd-12"}',
        '{"level": "INFO", "message": "request", "request_id": "load-0000abcd-120"}',
        '{"request_X-Request-Id": "load-0000abcd-7", "OriginStatus": 200}',
        '{"level": "WARNING", "message": "no id here"}',
    ]
    assert lines_naming(lines, {"load-0000abcd-12", "load-0000abcd-7"}) == [lines[0], lines[2]]
    assert lines_naming(lines, set()) == []


def test_failed_requests_are_counted_per_status_and_router() -> None:
    """A flood of 404s without a router reads as one line, not forty lines of the same."""
    lines = [
        '{"OriginStatus": 0, "DownstreamStatus": 404}',
        '{"OriginStatus": 0, "DownstreamStatus": 404, "RouterName": ""}',
        '{"OriginStatus": 502, "DownstreamStatus": 502, "RouterName": "backend-internal@swarm"}',
    ]
    assert failed_requests_summary(lines) == [
        "(3 failed requests: 404 via no router x2, 502 via backend-internal@swarm x1)"
    ]
    assert failed_requests_summary([]) == []


def traefik_api(routers: dict[str, list[dict[str, str]]], step: list[int]) -> httpx.MockTransport:
    """A Traefik API whose backend router and servers change at each poll (step[0])."""

    def answer(request: httpx.Request) -> httpx.Response:
        host = request.url.host
        state = routers[host][min(step[0], len(routers[host]) - 1)]
        if state is None:
            return httpx.Response(404, json={"message": "router not found"})
        if request.url.path.endswith("/routers/backend-internal@swarm"):
            return httpx.Response(200, json={"status": "enabled"})
        return httpx.Response(200, json={"serverStatus": state})

    return httpx.MockTransport(answer)


def test_the_router_watch_records_each_change_and_what_dockerd_said_then() -> None:
    """One line per change of a Traefik's router or servers; a lost router asks dockerd why."""
    up = {"http://10.0.1.5:8001": "UP", "http://10.0.1.6:8001": "UP"}
    one = {"http://10.0.1.6:8001": "UP"}
    routers = {"node1": [up, up, up, up], "node2": [up, one, None, up]}
    step = [0]
    asked: list[str] = []
    watch = RouterWatch(
        {"node1": "http://node1", "node2": "http://node2"},
        ("admin", "secret"),
        lambda node: asked.append(node) or "backend tasks [node5:Running]",
    )
    with httpx.Client(transport=traefik_api(routers, step)) as client:
        for step[0] in range(4):
            watch.poll_once(client)
    lines = watch.lines()
    assert [re.search(r"s (node\d): ", line).group(1) for line in lines] == [
        "node1", "node2", "node2", "node2", "node2"
    ]  # fmt: skip
    assert "http://10.0.1.5:8001 UP" in lines[0]
    assert "10.0.1.5" not in lines[2]
    assert "http://10.0.1.6:8001 UP" in lines[2]
    assert "router missing" in lines[3]
    assert "node2's dockerd: backend tasks [node5:Running]" in lines[3]
    assert "dockerd" not in lines[4]
    assert "router enabled" in lines[4]
    assert asked == ["node2"]
    assert watch.lost_router() == [lines[3]]
