"""The runbook's rotations, run as an operator runs them (secrets/README.md, docs/operations.md
step 7): a new admin password under a new secret name, and every Swarm config under a new
CONFIG_VERSION, in one `docker stack deploy`; then the old secret and configs are removed.

After it the stack keeps the rotated names and password (`deployed.env`, `deployed.admin_login`),
so the checks that run later see the deployment an operator would have.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime

import httpx

from tests.swarm.cli import docker, run
from tests.swarm.client import first_translation
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import Stack, converged, deploy, update_status, wait_for
from tests.swarm.summary import SwarmSummary

pytestmark = SWARM_MARKS

ROTATION_TIMEOUT_S = 300.0
NEW_PASSWORD = "rotated-admin-password-7f3a"
#: The services that mount a Swarm config (stack.yml), each rolled onto the v2 names.
CONFIGURED = ("traefik", "mysql")
#: The running services the rotation replaces: those two, and the frontends (the users file).
UPDATED = (*CONFIGURED, "frontend")


def mounted(service: str, kind: str) -> set[str]:
    """Return the names of the secrets or configs (kind) the service's spec mounts."""
    field = {"secrets": "Secrets", "configs": "Configs"}[kind]
    raw = docker(
        "service", "inspect", "--format", f"{{{{json .Spec.TaskTemplate.ContainerSpec.{field}}}}}",
        service,
    )  # fmt: skip
    entries = json.loads(raw) if raw and raw != "null" else []
    return {entry[f"{field[:-1]}Name"] for entry in entries}


def update_since(service: str, moment: datetime) -> str:
    """Return the state of the service's update if one started after moment, else "not started"."""
    status = update_status(service)
    started = status.get("StartedAt", "")
    # Docker writes nanoseconds; Python reads microseconds.
    if not started or datetime.fromisoformat(started[:26].rstrip("Z") + "+00:00") < moment:
        return "not started"
    return str(status.get("State", ""))


def login_status(client: httpx.Client, stack: Stack, user: str, password: str) -> int | str:
    """Return the status of the history page (behind the admin login) for one password, or
    why there was none (Traefik's task is replaced: its host port is closed for a moment)."""
    try:
        return client.get(f"{stack.base_url}/history", auth=(user, password)).status_code
    except httpx.TransportError as error:
        return f"{type(error).__name__}: {error}"


def test_rotating_the_admin_password_and_the_configs_as_the_runbook_says(
    deployed: Stack, app_client: httpx.Client, swarm_summary: SwarmSummary
) -> None:
    """New password and config names in one deploy: the old password is refused, the new one
    opens the operator's pages, the old secret and configs can be removed, the app translates."""
    secrets_dir = deployed.repo_root / "secrets"
    user, old_password = deployed.admin_login
    old_configs = {
        name for short in CONFIGURED for name in mounted(deployed.service(short), "configs")
    }
    assert old_configs, "no service mounts a config"
    assert all(name.endswith("_v1") for name in old_configs), old_configs
    old_secret = f"{deployed.name}_basic_auth_users_v1"
    assert old_secret in mounted(deployed.service("traefik"), "secrets")

    started = time.monotonic()
    # secrets/README.md: keep the old value until the rotation is done, let create.sh write anew.
    (secrets_dir / "basic_auth_users").rename(secrets_dir / "basic_auth_users.old")
    created = run(
        ["bash", str(secrets_dir / "create.sh")],
        env={**deployed.env, "ADMIN_PASSWORD": NEW_PASSWORD},
        cwd=deployed.repo_root,
        timeout_s=120,
    )
    # Only the moved file is written anew; every other secret keeps its value.
    assert re.search(r"^created\s+\S*/basic_auth_users$", created.stdout, re.M), created.stdout
    assert re.search(r"^kept\s+\S*/secret_key$", created.stdout, re.M), created.stdout
    deployed.env = {**deployed.env, "BASIC_AUTH_USERS_VERSION": "v2", "CONFIG_VERSION": "v2"}
    deployed_at = datetime.now(UTC)
    deploy(deployed)
    # The services the deploy replaces (each mounts a new name; the frontend reads the users file
    # too): wait for each one's update, not only for the new names in its spec.
    updated = [deployed.service(short) for short in UPDATED]
    for service in updated:
        names = mounted(service, "secrets") | mounted(service, "configs")
        assert any(name.endswith("_v2") for name in names), f"{service} mounts {sorted(names)}"

    def rotated() -> str | None:
        for short in CONFIGURED:
            names = mounted(deployed.service(short), "configs")
            if not all(name.endswith("_v2") for name in names):
                return f"{short} mounts {sorted(names)}"
        for service in updated:
            if (state := update_since(service, deployed_at)) != "completed":
                return f"{service}'s update since the deploy: {state}"
        if (status := login_status(app_client, deployed, user, NEW_PASSWORD)) != 200:
            return f"the new password gets {status}"
        return converged(deployed, ("traefik", "mysql", "frontend"))

    wait_for("the rotation deployed", rotated, timeout_s=ROTATION_TIMEOUT_S)
    rotation_s = time.monotonic() - started
    assert login_status(app_client, deployed, user, old_password) == 401
    # The runbook's last step: the old secret and configs are unused now, so Swarm lets them go.
    docker("secret", "rm", old_secret)
    for name in sorted(old_configs):
        docker("config", "rm", name)
    (secrets_dir / "basic_auth_users.old").unlink()
    leftovers = set(docker("config", "ls", "--format", "{{.Name}}").split()) & old_configs
    assert not leftovers, f"configs still there: {leftovers}"
    deployed.admin_login = (user, NEW_PASSWORD)
    # Translations still save: MySQL came back on its new config, Traefik with its routes.
    wait_for(
        "a saved translation after the rotation",
        lambda: first_translation(deployed.base_url),
        timeout_s=120,
    )
    swarm_summary.time("rotation of the admin password and every config", rotation_s)
