"""Persistence: saved translations survive a MySQL restart; the frontend recovers by itself."""

from __future__ import annotations

import httpx

from tests.swarm.cli import docker
from tests.swarm.client import Translator
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import Stack, converged, task_containers, wait_for

pytestmark = SWARM_MARKS
TEXTS = ["Erster gespeicherter Satz.", "Zweiter gespeicherter Satz.", "Dritter Satz bleibt."]


def history_ids(client: httpx.Client, stack: Stack, auth: tuple[str, str]) -> str:
    """Return the history page's HTML (behind the admin login)."""
    response = client.get(stack.base_url + "/history", auth=auth)
    assert response.status_code == 200, f"/history answered {response.status_code}"
    return response.text


def saved_translation(client: httpx.Client, stack: Stack) -> str | None:
    """Return None once a new translation is saved to MySQL again, else why not."""
    try:
        done = Translator(client, stack.base_url)("Nach dem Neustart gespeichert.")["done"]
    except (AssertionError, httpx.HTTPError) as error:
        return f"{type(error).__name__}: {error}"
    return None if done.get("saved") is True else f"not saved yet: {done}"


def test_translations_survive_a_mysql_restart(
    deployed: Stack, app_client: httpx.Client, admin_credentials: tuple[str, str]
) -> None:
    """Save, `docker service update --force` MySQL, and find the rows again (named volume)."""
    translator = Translator(app_client, deployed.base_url)
    ids = []
    for text in TEXTS:
        done = translator(text)["done"]
        assert done.get("saved") is True, f"translation not saved before the restart: {done}"
        ids.append(done["id"])
    mysql = deployed.service("mysql")
    before = set(task_containers(mysql))
    frontends = set(task_containers(deployed.service("frontend")))

    docker("service", "update", "--force", "--detach", mysql)
    wait_for(
        "a new MySQL task",
        lambda: None if set(task_containers(mysql)) - before else "still the old MySQL container",
        timeout_s=120,
    )
    wait_for("MySQL healthy again", lambda: converged(deployed, ["mysql"]), timeout_s=300)
    wait_for(
        "the frontend saving again", lambda: saved_translation(app_client, deployed), timeout_s=120
    )

    page = history_ids(app_client, deployed, admin_credentials)
    missing = [item for item in ids if f"#{item}<" not in page]
    assert not missing, f"translations {missing} are gone from /history after the MySQL restart"
    assert set(task_containers(deployed.service("frontend"))) == frontends, (
        "the frontend tasks were replaced: it must recover from the database restart by itself"
    )
