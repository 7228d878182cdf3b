#!/usr/bin/env python3
"""Deploy the stack to a Swarm, wait for it to converge, smoke-test it, and roll it back.

Used by .github/workflows/deploy.yml; the docker CLI reaches the manager through DOCKER_HOST.
Standard library only: it runs on a bare GitHub runner before any project dependency exists.

  swarm_deploy.py deploy   --stack S --state F -c stack.yml [-c stack.cpu.yml]
  swarm_deploy.py wait     --stack S --state F [--max-wait-s N] [--after-rollback]
  swarm_deploy.py smoke    --url https://translate.example.org [--max-wait-s N]
  swarm_deploy.py rollback --stack S --state F [--max-wait-s N]

The state file records each service's spec version before the deploy, so that `wait` judges and
`rollback` reverts only the services this deploy changed: `docker service rollback` on a service
the deploy left alone would put back an even older spec.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

# Update states in which Swarm has stopped trying (docs: `docker service inspect`, UpdateStatus).
GAVE_UP_STATES = {"paused", "rollback_paused"}
MOVING_STATES = {"updating", "rollback_started"}
ENV_LINE = re.compile(r"^([A-Z_][A-Z0-9_]*)=(.*)$")
SMOKE_TEXT = "Guten Morgen. Wie geht es dir?"
# Set by the workflow itself: STACK_ENV may not change what is deployed, or where.
RESERVED_ENV = {"TAG", "REGISTRY", "STACK_NAME", "DOCKER_HOST"}


@dataclass(frozen=True)
class Service:
    """One service of the stack as `docker stack services` and `docker service inspect` see it."""

    name: str
    running: int
    desired: int
    version: int
    state: str


def parse_replicas(text: str) -> tuple[int, int]:
    """Return (running, desired) from a REPLICAS column such as '2/3 (max 1 per node)'."""
    match = re.match(r"^\s*(\d+)/(\d+)", text)
    if not match:
        raise ValueError(f"unexpected REPLICAS value {text!r}")
    return int(match.group(1)), int(match.group(2))


def parse_env(text: str) -> dict[str, str]:
    """Parse KEY=VALUE lines (blank lines and # comments allowed) without any shell evaluation."""
    env = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = ENV_LINE.match(line)
        if not match:
            raise ValueError(f"STACK_ENV line {number} is not KEY=VALUE")
        if match.group(1) in RESERVED_ENV:
            raise ValueError(
                f"STACK_ENV line {number} sets {match.group(1)}, which the workflow sets"
            )
        env[match.group(1)] = match.group(2)
    return env


def assess(
    services: list[Service], before: dict[str, int], *, after_rollback: bool
) -> tuple[list[str], list[str]]:
    """Return (failures, still_moving) for the services, judging update states of changed ones."""
    failures, moving = [], []
    for service in services:
        changed = before.get(service.name) != service.version
        if changed and service.state in GAVE_UP_STATES:
            failures.append(f"{service.name}: update {service.state}")
        elif changed and service.state == "rollback_completed" and not after_rollback:
            failures.append(f"{service.name}: Swarm rolled the update back")
        elif service.state in MOVING_STATES:
            moving.append(f"{service.name}: {service.state}")
        elif service.running != service.desired:
            moving.append(f"{service.name}: {service.running}/{service.desired} running")
    return failures, moving


def docker(*args: str, env: dict[str, str] | None = None) -> str:
    """Run the docker CLI and return its standard output; raise on a non-zero exit."""
    # The runner's docker CLI from PATH; every argument comes from this script, never a shell.
    result = subprocess.run(  # noqa: S603
        ["docker", *args],  # noqa: S607
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"docker {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def list_services(stack: str) -> list[Service]:
    """Return every service of the stack with its replicas, spec version and update state."""
    replicas = {}
    listing = docker("stack", "services", stack, "--format", "{{.Name}}\t{{.Replicas}}")
    for line in listing.splitlines():
        if line.strip():
            name, column = line.split("\t", 1)
            replicas[name] = parse_replicas(column)
    if not replicas:
        return []
    template = (
        "{{.Spec.Name}}\t{{.Version.Index}}\t{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}"
    )
    services = []
    for line in docker("service", "inspect", "--format", template, *replicas).splitlines():
        name, version, state = [*line.split("\t"), ""][:3]
        running, desired = replicas[name]
        services.append(Service(name, running, desired, int(version), state.strip()))
    return services


def load_state(path: Path) -> dict[str, int]:
    """Read the spec versions recorded before the deploy."""
    return {name: int(version) for name, version in json.loads(path.read_text()).items()}


def cmd_deploy(args: argparse.Namespace) -> int:
    """Record the current spec versions, then deploy the stack with the registry credentials."""
    before = {s.name: s.version for s in list_services(args.stack)}
    args.state.write_text(json.dumps(before))
    env = {**os.environ, **parse_env(os.environ.get("STACK_ENV", ""))}
    files = [arg for path in args.compose_file for arg in ("-c", path)]
    print(docker("stack", "deploy", "--with-registry-auth", "--prune", *files, args.stack, env=env))
    return 0


def wait(
    stack: str, before: dict[str, int], *, after_rollback: bool, max_wait_s: float, poll_s: float
) -> bool:
    """Poll the stack until every service has converged; False on failure or timeout."""
    deadline = time.monotonic() + max_wait_s
    while True:
        failures, moving = assess(list_services(stack), before, after_rollback=after_rollback)
        if failures:
            print("not converged: " + "; ".join(failures), file=sys.stderr)
            return False
        if not moving:
            print(f"stack {stack} converged")
            return True
        if time.monotonic() >= deadline:
            print(f"gave up after {max_wait_s:.0f} s: " + "; ".join(moving), file=sys.stderr)
            return False
        print("waiting: " + "; ".join(moving), flush=True)
        time.sleep(poll_s)


def cmd_wait(args: argparse.Namespace) -> int:
    """Wait for convergence after a deploy (or a rollback)."""
    ok = wait(
        args.stack,
        load_state(args.state),
        after_rollback=args.after_rollback,
        max_wait_s=args.max_wait_s,
        poll_s=args.poll_s,
    )
    return 0 if ok else 1


def smoke_once(url: str, timeout_s: float) -> str | None:
    """Check /healthz and one translation through the public URL; return what failed, or None."""
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=timeout_s) as response:  # noqa: S310
            response.read()
        body = json.dumps({"text": SMOKE_TEXT, "source": "de", "target": "en"}).encode()
        request = urllib.request.Request(  # noqa: S310 - the operator's own https URL
            f"{url}/api/v1/translate", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310
            translation = json.loads(response.read()).get("translation")
    except (OSError, urllib.error.URLError, ValueError) as error:
        return f"{type(error).__name__}: {error}"
    if not isinstance(translation, str) or not translation.strip():
        return "the translation came back empty"
    return None


def cmd_smoke(args: argparse.Namespace) -> int:
    """Retry the smoke test until it passes or the time is up (Traefik needs a moment)."""
    url = args.url.rstrip("/")
    deadline = time.monotonic() + args.max_wait_s
    while (problem := smoke_once(url, timeout_s=30)) is not None:
        if time.monotonic() >= deadline:
            print(f"smoke test failed on {url}: {problem}", file=sys.stderr)
            return 1
        print(f"smoke test not yet passing: {problem}", flush=True)
        time.sleep(args.poll_s)
    print(f"smoke test passed on {url}")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    """Roll back every service this deploy changed, wait, and print the tasks for diagnosis."""
    if not args.state.exists():
        print("the deploy never started: nothing to roll back", file=sys.stderr)
        return 1
    before = load_state(args.state)
    try:
        roll_back_changed(args.stack, before)
        ok = wait(
            args.stack, before, after_rollback=True, max_wait_s=args.max_wait_s, poll_s=args.poll_s
        )
    finally:
        print(docker("stack", "ps", "--no-trunc", args.stack))
    return 0 if ok else 1


def roll_back_changed(stack: str, before: dict[str, int]) -> None:
    """Start `docker service rollback` on each service whose spec this deploy changed."""
    for service in list_services(stack):
        if before.get(service.name) == service.version:
            continue
        if service.name not in before:
            print(f"{service.name}: new in this deploy, nothing to roll back to", file=sys.stderr)
        elif service.state.startswith("rollback"):
            print(f"{service.name}: Swarm already rolled it back ({service.state})")
        else:
            print(f"{service.name}: rolling back")
            docker("service", "rollback", "--detach", service.name)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler in (("deploy", cmd_deploy), ("wait", cmd_wait), ("rollback", cmd_rollback)):
        sub = commands.add_parser(name)
        sub.set_defaults(handler=handler)
        sub.add_argument("--stack", required=True)
        sub.add_argument("--state", type=Path, required=True)
        sub.add_argument("--max-wait-s", type=float, default=900)
        sub.add_argument("--poll-s", type=float, default=5)
    commands.choices["deploy"].add_argument("-c", "--compose-file", action="append", required=True)
    commands.choices["wait"].add_argument("--after-rollback", action="store_true")
    smoke = commands.add_parser("smoke")
    smoke.set_defaults(handler=cmd_smoke)
    smoke.add_argument("--url", required=True)
    smoke.add_argument("--max-wait-s", type=float, default=120)
    smoke.add_argument("--poll-s", type=float, default=5)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run one sub-command; docker errors end it with exit status 1 and their message."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return args.handler(args)
    except (RuntimeError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
