"""Stage what a user deploys from (stack files, traefik/, secrets/create.sh) and its variables.

The test deploys from a copy under build/, so that create.sh writes the test's secret files there
and never touches (or reuses) the operator's own secrets/ in the working tree.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

STACK_FILES = ("stack.yml", "stack.cpu.yml")


@dataclass(frozen=True)
class DeployConfig:
    """The values the test deploys with; each becomes one of stack.yml's variables."""

    stack_name: str
    registry: str
    tag: str
    http_port: int
    https_port: int
    traefik_image: str
    mysql_image: str
    prometheus_image: str
    backend_replicas: int = 1

    def variables(self) -> dict[str, str]:
        """Return the environment `secrets/create.sh` and `docker stack deploy` run with."""
        return {
            "STACK_NAME": self.stack_name,
            "REGISTRY": self.registry,
            "TAG": self.tag,
            "HTTP_PORT": str(self.http_port),
            "HTTPS_PORT": str(self.https_port),
            "TRAEFIK_IMAGE": self.traefik_image,
            "MYSQL_IMAGE": self.mysql_image,
            "PROMETHEUS_IMAGE": self.prometheus_image,
            # Never the default translate_backups: that is a real stack's dumps.
            "BACKUP_VOLUME": f"{self.stack_name}_backups",
            "BACKEND_REPLICAS": str(self.backend_replicas),
            # The load generators send hundreds of translations a second from one address; the
            # per-client limit is attacked in tests/redteam/ (make run) at its default.
            "TRANSLATE_RATE_PER_S": "10000",
            "TRANSLATE_BURST": "10000",
            # The random-weight model never ends a sentence: retrying every one at the model's
            # 511-token limit would make each translation ~70x slower (backend README).
            "RETRY_TRUNCATED": "false",
        }


def copy_secrets_tooling(source: Path, target: Path) -> None:
    """Copy secrets/ without the secret values (files without a suffix, written by create.sh)."""
    target.mkdir(parents=True)
    for entry in source.iterdir():
        if entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        elif entry.suffix:
            shutil.copy2(entry, target / entry.name)


def stage(repo_root: Path, deploy_dir: Path) -> Path:
    """Copy the stack files, traefik/, monitoring/, backup/ and secrets/ tooling into deploy_dir."""
    shutil.rmtree(deploy_dir, ignore_errors=True)
    deploy_dir.mkdir(parents=True)
    for name in STACK_FILES:
        if (repo_root / name).exists():
            shutil.copy2(repo_root / name, deploy_dir / name)
    shutil.copytree(repo_root / "traefik", deploy_dir / "traefik")
    # The Prometheus config and rules and the backup script: Swarm configs of stack.yml.
    for folder in ("monitoring", "backup"):
        shutil.copytree(repo_root / folder, deploy_dir / folder)
    copy_secrets_tooling(repo_root / "secrets", deploy_dir / "secrets")
    return deploy_dir


def environment(config: DeployConfig) -> dict[str, str]:
    """Return this process's environment with the deploy variables set."""
    return {**os.environ, **config.variables()}
