"""deploy.yml's helper deploys, waits for convergence, smoke-tests, and rolls back what it changed.

The Swarm is a fake `docker` on PATH that plays a scripted sequence of `docker stack services` /
`docker service inspect` answers and records every call; the smoke test talks to a real HTTP server.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType

import pytest

from testkit.servers import serving

SCRIPT = Path(__file__).resolve().parent.parent / ".github" / "scripts" / "swarm_deploy.py"

FAKE_DOCKER = """\
import json, os, sys
state_path = os.environ["FAKE_SWARM"]
state = json.load(open(state_path))
args = sys.argv[1:]
env = os.environ
state["calls"].append({"args": args, "TAG": env.get("TAG"), "DOMAIN": env.get("DOMAIN")})
tick = state["ticks"][min(state["tick"], len(state["ticks"]) - 1)]
if args[:2] == ["stack", "services"]:
    print("\\n".join(f"{name}\\t{s['replicas']}" for name, s in tick.items()))
elif args[:2] == ["service", "inspect"]:
    print("\\n".join(f"{n}\\t{tick[n]['version']}\\t{tick[n].get('state', '')}" for n in args[4:]))
    state["tick"] += 1
elif args[:2] == ["stack", "ps"]:
    print("ID NAME IMAGE NODE DESIRED STATE CURRENT STATE ERROR")
elif args[:2] == ["stack", "deploy"] and state.get("deploy_fails"):
    print("service backend: image not found", file=sys.stderr)
    sys.exit(1)
json.dump(state, open(state_path, "w"))
"""


def load_script() -> ModuleType:
    """Import the script by path: .github/scripts is not a package."""
    spec = importlib.util.spec_from_file_location("swarm_deploy", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up in sys.modules.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def script() -> ModuleType:
    """Return the script as a module, for its pure functions."""
    return load_script()


class FakeSwarm:
    """A fake docker CLI on PATH and the script running against it."""

    def __init__(self, tmp_path: Path) -> None:
        self.state_path = tmp_path / "swarm.json"
        self.deploy_state = tmp_path / "deploy-state.json"
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        docker = bin_dir / "docker"
        docker.write_text(f"#!{sys.executable}\n{FAKE_DOCKER}")
        docker.chmod(0o755)
        self.env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
        self.env["FAKE_SWARM"] = str(self.state_path)

    def play(self, *ticks: dict, **options: object) -> None:
        """Script the services' states, one per poll (the last one repeats)."""
        self.state_path.write_text(json.dumps({"ticks": ticks, "tick": 0, "calls": [], **options}))

    def calls(self) -> list[dict]:
        """Return the docker calls made so far."""
        return json.loads(self.state_path.read_text())["calls"]

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run the script with the fake docker first on PATH."""
        return subprocess.run(
            [sys.executable, str(SCRIPT), *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def record_before(self, versions: dict[str, int]) -> None:
        """Write the state file a deploy would have written."""
        self.deploy_state.write_text(json.dumps(versions))


def svc(replicas: str, version: int, state: str = "") -> dict:
    """Describe one service at one poll."""
    return {"replicas": replicas, "version": version, "state": state}


@pytest.fixture
def swarm(tmp_path: Path) -> FakeSwarm:
    """Return a fake Swarm for one test."""
    return FakeSwarm(tmp_path)


def test_replicas_column_is_parsed_with_and_without_the_per_node_limit(script) -> None:
    assert script.parse_replicas("2/3") == (2, 3)
    assert script.parse_replicas("1/2 (max 1 per node)") == (1, 2)
    with pytest.raises(ValueError, match="REPLICAS"):
        script.parse_replicas("global")


def test_stack_env_is_parsed_without_shell_evaluation(script) -> None:
    text = "# the domain\nDOMAIN=translate.example.org\n\nNOTE=$(rm -rf /)\n"
    assert script.parse_env(text) == {"DOMAIN": "translate.example.org", "NOTE": "$(rm -rf /)"}
    with pytest.raises(ValueError, match="line 1"):
        script.parse_env("export DOMAIN=x")


def test_stack_env_cannot_override_the_tag_being_deployed(script) -> None:
    with pytest.raises(ValueError, match="line 2 sets TAG"):
        script.parse_env("DOMAIN=x\nTAG=edge")


def test_a_changed_service_that_swarm_rolled_back_is_a_failure(script) -> None:
    services = [script.Service("t_backend", 2, 2, 15, "rollback_completed")]
    failures, _ = script.assess(services, {"t_backend": 10}, after_rollback=False)
    assert failures == ["t_backend: Swarm rolled the update back"]
    assert script.assess(services, {"t_backend": 10}, after_rollback=True) == ([], [])


def test_an_old_rollback_of_a_service_this_deploy_left_alone_is_ignored(script) -> None:
    services = [script.Service("t_mysql", 1, 1, 7, "rollback_completed")]
    assert script.assess(services, {"t_mysql": 7}, after_rollback=False) == ([], [])


def test_missing_replicas_and_updates_in_progress_keep_the_stack_moving(script) -> None:
    services = [
        script.Service("t_frontend", 1, 2, 9, "completed"),
        script.Service("t_backend", 2, 2, 15, "updating"),
    ]
    failures, moving = script.assess(services, {}, after_rollback=False)
    assert failures == []
    assert moving == ["t_frontend: 1/2 running", "t_backend: updating"]


def test_deploy_records_versions_then_deploys_with_registry_auth_and_prune(swarm) -> None:
    swarm.play({"t_backend": svc("2/2", 10), "t_frontend": svc("2/2", 20)})
    result = swarm.run(
        "deploy", "--stack", "t", "--state", str(swarm.deploy_state),
        "-c", "stack.yml", "-c", "stack.cpu.yml",
        env={"TAG": "1.2.3", "STACK_ENV": "DOMAIN=translate.example.org"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(swarm.deploy_state.read_text()) == {"t_backend": 10, "t_frontend": 20}
    deploy = swarm.calls()[-1]
    assert deploy["args"] == [
        "stack", "deploy", "--with-registry-auth", "--prune",
        "-c", "stack.yml", "-c", "stack.cpu.yml", "t",
    ]  # fmt: skip
    assert (deploy["TAG"], deploy["DOMAIN"]) == ("1.2.3", "translate.example.org")


def test_a_failing_docker_command_fails_the_step_with_its_message(swarm) -> None:
    swarm.play({}, deploy_fails=True)
    result = swarm.run("deploy", "--stack", "t", "--state", str(swarm.deploy_state), "-c", "s.yml")
    assert result.returncode == 1
    assert "image not found" in result.stderr


def test_wait_polls_until_every_service_has_converged(swarm) -> None:
    swarm.record_before({"t_backend": 10})
    swarm.play(
        {"t_backend": svc("1/2", 11, "updating")},
        {"t_backend": svc("1/2", 11, "updating")},
        {"t_backend": svc("2/2", 11, "completed")},
    )
    result = swarm.run(
        "wait", "--stack", "t", "--state", str(swarm.deploy_state), "--poll-s", "0.01"
    )
    assert result.returncode == 0, result.stderr
    assert "converged" in result.stdout
    assert result.stdout.count("waiting: t_backend: updating") == 2


def test_wait_gives_up_when_the_bound_is_reached(swarm) -> None:
    swarm.record_before({})
    swarm.play({"t_backend": svc("0/2", 3)})
    result = swarm.run(
        "wait", "--stack", "t", "--state", str(swarm.deploy_state),
        "--max-wait-s", "0.2", "--poll-s", "0.05",
    )  # fmt: skip
    assert result.returncode == 1
    assert "gave up after" in result.stderr
    assert "t_backend: 0/2 running" in result.stderr


def test_rollback_reverts_only_what_this_deploy_changed_and_prints_the_tasks(swarm) -> None:
    swarm.record_before({"t_backend": 10, "t_frontend": 20, "t_mysql": 30})
    changed = {
        "t_backend": svc("1/2", 11, "updating"),  # changed and still failing: roll back
        "t_frontend": svc("2/2", 21, "rollback_completed"),  # Swarm already did it
        "t_mysql": svc("1/1", 30),  # untouched by this deploy
        "t_traefik": svc("1/1", 1),  # new: nothing to go back to
    }
    settled = {**changed, "t_backend": svc("2/2", 12, "rollback_completed")}
    swarm.play(changed, settled)
    result = swarm.run(
        "rollback", "--stack", "t", "--state", str(swarm.deploy_state), "--poll-s", "0.01"
    )
    assert result.returncode == 0, result.stderr
    rollbacks = [c["args"] for c in swarm.calls() if c["args"][:2] == ["service", "rollback"]]
    assert rollbacks == [["service", "rollback", "--detach", "t_backend"]]
    assert "t_traefik: new in this deploy" in result.stderr
    assert "CURRENT STATE" in result.stdout
    assert swarm.calls()[-1]["args"] == ["stack", "ps", "--no-trunc", "t"]


def test_rollback_without_a_deploy_state_touches_nothing(swarm) -> None:
    swarm.play({"t_backend": svc("2/2", 10)})
    result = swarm.run("rollback", "--stack", "t", "--state", str(swarm.deploy_state))
    assert result.returncode == 1
    assert swarm.calls() == []


class SmokeHandler(BaseHTTPRequestHandler):
    """Answer /healthz and /api/v1/translate like the deployed stack, with a chosen translation."""

    translation = "Good morning."

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/healthz" else 404)
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ok = self.path == "/api/v1/translate" and body["source"] == "de" and body["text"]
        payload = json.dumps({"translation": self.translation}).encode()
        self.send_response(200 if ok else 400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        """Keep the test output quiet."""


@pytest.fixture
def public_url() -> Iterator[tuple[str, type[SmokeHandler]]]:
    """Serve the fake public endpoints on a free loopback port."""
    handler = type("Handler", (SmokeHandler,), {})
    with serving(ThreadingHTTPServer(("127.0.0.1", 0), handler)) as port:
        yield f"http://127.0.0.1:{port}", handler


def test_smoke_test_passes_when_health_and_a_translation_answer(swarm, public_url) -> None:
    url, _ = public_url
    result = swarm.run("smoke", "--url", url + "/", "--max-wait-s", "1")
    assert result.returncode == 0, result.stderr
    assert f"smoke test passed on {url}" in result.stdout


def test_smoke_test_fails_on_an_empty_translation(swarm, public_url) -> None:
    url, handler = public_url
    handler.translation = "  "
    result = swarm.run("smoke", "--url", url, "--max-wait-s", "0.2", "--poll-s", "0.05")
    assert result.returncode == 1
    assert "the translation came back empty" in result.stderr
