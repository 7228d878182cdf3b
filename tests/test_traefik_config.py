"""Traefik's configuration files: the Swarm template, the shared middlewares, the local routes.

traefik/traefik.yml is rendered here as Swarm renders it; the stack's labels and `make run`'s
routes must use the same routers and only middlewares traefik/dynamic/ defines.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from testkit.servers import REPO_ROOT
from tests.stack_files import STACK, labels, rendered


@pytest.fixture(scope="module")
def gpu_stack() -> dict[str, Any]:
    return rendered(STACK)


def test_labels_use_only_middlewares_the_dynamic_files_define(gpu_stack) -> None:
    defined = yaml.safe_load((REPO_ROOT / "traefik/dynamic/middlewares.yml").read_text())
    names = set(defined["http"]["middlewares"])
    for service in gpu_stack["services"].values():
        for key, value in labels(service).items():
            if key.endswith(".middlewares"):
                used = {item.removesuffix("@file") for item in value.split(",")}
                assert used <= names, key


def test_local_routes_match_the_stacks_public_routes(gpu_stack) -> None:
    """`make run` routes like the stack: same routers, rules, priorities and middlewares."""
    local = yaml.safe_load((REPO_ROOT / "traefik/local/routes.yml").read_text())["http"]["routers"]
    swarm = _routers_from_labels(gpu_stack)
    swarm.pop("backend-internal")  # the frontend calls the backend directly in local runs
    swarm.pop("prometheus")  # Prometheus runs in the Swarm stack only (monitoring/)
    assert local.keys() == swarm.keys()
    for name, router in local.items():
        assert router["rule"] == swarm[name]["rule"], name
        assert str(router["priority"]) == swarm[name].get("priority", str(router["priority"]))
        assert router.get("middlewares", []) == swarm[name].get("middlewares", []), name
        assert router["service"] == swarm[name]["service"], name


def _routers_from_labels(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    routers: dict[str, dict[str, Any]] = {}
    for service in stack["services"].values():
        for key, value in labels(service).items():
            match = re.fullmatch(r"traefik\.http\.routers\.([\w-]+)\.(\w+)", key)
            if match:
                name, field = match.groups()
                routers.setdefault(name, {})[field] = (
                    value.split(",") if field == "middlewares" else value
                )
    return routers


def render_swarm_template(text: str, env: dict[str, str]) -> str:
    """Render the Go template actions traefik/traefik.yml uses, as Swarm would from env."""
    block = re.compile(r'\{\{ if and \(env "(\w+)"\) \(env "(\w+)"\) \}\}(.*?)\{\{ end \}\}', re.S)
    text = block.sub(lambda m: m[3] if env.get(m[1]) and env.get(m[2]) else "", text)
    text = re.sub(r'\{\{ env "(\w+)" \}\}', lambda m: env.get(m[1], ""), text)
    assert "{{" not in text, "traefik.yml uses a template action this test does not know"
    return text


def swarm_static_config(env: dict[str, str]) -> dict[str, Any]:
    return yaml.safe_load(
        render_swarm_template((REPO_ROOT / "traefik/traefik.yml").read_text(), env)
    )


def test_traefik_serves_plain_http_without_a_domain() -> None:
    static = swarm_static_config({"DOMAIN": "translate.example.org"})
    assert "redirections" not in static["entryPoints"]["web"]["http"]
    assert "certResolver" not in static["entryPoints"]["websecure"]["http"]["tls"]
    assert "certificatesResolvers" not in static


def test_traefik_redirects_to_https_with_lets_encrypt_given_domain_and_email() -> None:
    env = {"DOMAIN": "translate.example.org", "ACME_EMAIL": "ops@example.org"}
    static = swarm_static_config(env)
    redirect = static["entryPoints"]["web"]["http"]["redirections"]["entryPoint"]
    assert redirect["to"] == "websecure"
    assert redirect["scheme"] == "https"
    tls = static["entryPoints"]["websecure"]["http"]["tls"]
    assert tls["certResolver"] == "letsencrypt"
    assert tls["domains"] == [{"main": "translate.example.org"}]
    acme = static["certificatesResolvers"]["letsencrypt"]["acme"]
    assert acme["email"] == "ops@example.org"
    assert acme["storage"].startswith("/acme/")


def test_traefik_keeps_metrics_ping_and_the_internal_entrypoint_unpublished(gpu_stack) -> None:
    static = swarm_static_config({"STACK_NAME": "translate"})
    published = {port["target"] for port in gpu_stack["services"]["traefik"]["ports"]}
    for name in ("internal", "metrics"):
        assert int(static["entryPoints"][name]["address"].lstrip(":")) not in published
    assert static["ping"]["entryPoint"] == "metrics"
    assert static["metrics"]["prometheus"]["entryPoint"] == "metrics"
    assert static["providers"]["swarm"]["exposedByDefault"] is False
    constraint = "Label(`com.docker.stack.namespace`, `translate`)"
    assert static["providers"]["swarm"]["constraints"] == constraint
    mount = gpu_stack["services"]["traefik"]["volumes"][0]
    assert mount["source"] == "/var/run/docker.sock"
    assert mount["read_only"] is True


def test_every_overlay_service_dials_with_the_short_timeout(gpu_stack) -> None:
    """A task on a lost node never answers: Traefik must give up on it in seconds, not 30 s."""
    defined = yaml.safe_load((REPO_ROOT / "traefik/dynamic/middlewares.yml").read_text())
    transports = defined["http"]["serversTransports"]
    assert transports["overlay"]["forwardingTimeouts"]["dialTimeout"] == "3s"
    for name in ("frontend", "backend"):
        service_labels = labels(gpu_stack["services"][name])
        key = f"traefik.http.services.{name}.loadbalancer.serverstransport"
        assert service_labels.get(key) == "overlay@file", name
