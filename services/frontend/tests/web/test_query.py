"""The SQL console page: table, CSV export, refusals shown escaped, cut results noticed."""

from __future__ import annotations

import csv
import io

import pytest
from frontend.app import create_app

XSS = '<script>alert("x")</script>'


@pytest.fixture
async def seeded(offline_app, resources_of, make_translation) -> None:
    repository = resources_of(offline_app).repository
    await repository.save(
        make_translation(source_text="Der Hund bellt.", translated_text="The dog barks.")
    )
    await repository.save(
        make_translation(source_text=f"Böse {XSS}", translated_text=f"Evil {XSS}")
    )


async def run(client, csrf_token, sql: str, path: str = "/query"):
    token = await csrf_token(client)
    return await client.post(path, form={"sql": sql, "csrf_token": token})


async def test_console_is_prefilled_with_an_example(offline_client) -> None:
    html = await (await offline_client.get("/query")).get_data(as_text=True)
    assert "FROM translations" in html
    assert "Export CSV" in html


async def test_example_runs_and_shows_a_table(offline_client, csrf_token, seeded) -> None:
    from frontend.blueprints.query import EXAMPLE_SQL

    response = await run(offline_client, csrf_token, EXAMPLE_SQL)
    html = await response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<table id="query-result">' in html
    assert '<th scope="col">source_start</th>' in html
    assert "2 rows" in html


async def test_results_are_escaped(offline_client, csrf_token, seeded) -> None:
    sql = "SELECT translated_text FROM translations ORDER BY id"
    html = await (await run(offline_client, csrf_token, sql)).get_data(as_text=True)
    assert "&lt;script&gt;alert(" in html
    assert "<script>alert" not in html


async def test_drop_is_refused_escaped_and_changes_nothing(
    offline_client, csrf_token, seeded
) -> None:
    response = await run(offline_client, csrf_token, f"DROP TABLE translations -- {XSS}")
    html = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="query-error"' in html
    assert "Refused" in html
    assert "<script>alert" not in html
    count = await run(offline_client, csrf_token, "SELECT COUNT(*) AS n FROM translations")
    assert "<td>2</td>" in await count.get_data(as_text=True)


async def test_two_statements_are_refused(offline_client, csrf_token, seeded) -> None:
    response = await run(offline_client, csrf_token, "sElEcT 1; DELETE FROM translations")
    assert response.status_code == 400
    assert "Refused" in await response.get_data(as_text=True)


async def test_failing_statement_shows_a_short_message(offline_client, csrf_token) -> None:
    response = await run(offline_client, csrf_token, "SELECT no_such_column FROM translations")
    html = await response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Traceback" not in html
    assert 'id="query-error"' in html


async def test_csv_export(offline_client, csrf_token, seeded) -> None:
    sql = "SELECT id, source_text FROM translations ORDER BY id"
    response = await run(offline_client, csrf_token, sql, path="/query?format=csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert rows[0] == ["id", "source_text"]
    assert rows[1][1] == "Der Hund bellt."
    assert rows[2][1] == f"Böse {XSS}"


async def test_cut_results_are_noticed(
    make_settings, csrf_token, resources_of, make_translation
) -> None:
    app = create_app(make_settings(query_max_rows=2))
    async with app.test_app() as test_app:
        repository = resources_of(app).repository
        for n in range(3):
            await repository.save(
                make_translation(source_text=f"Satz {n}.", translated_text=f"Sentence {n}.")
            )
        client = test_app.test_client()
        response = await run(client, csrf_token, "SELECT id FROM translations")
        html = await response.get_data(as_text=True)
    assert 'id="truncated"' in html
    assert "cut at 2 rows" in html
    assert html.count("<tr><td>") == 2


async def test_a_cut_export_says_so(make_settings, csrf_token, resources_of, make_translation):
    app = create_app(make_settings(query_max_rows=1))
    async with app.test_app() as test_app:
        repository = resources_of(app).repository
        for n in range(2):
            await repository.save(make_translation(source_text=f"Satz {n}."))
        client = test_app.test_client()
        response = await run(client, csrf_token, "SELECT id FROM translations", "/query?format=csv")
        rows = list(csv.reader(io.StringIO(await response.get_data(as_text=True))))
    assert response.headers["X-Query-Complete"] == "false"
    assert rows[-1] == ["[notice] Results were cut at 1 rows. Add a LIMIT or narrow the query."]


async def test_console_statements_are_rate_limited_per_client(make_settings, csrf_token) -> None:
    app = create_app(make_settings(query_burst=2, query_rate_per_s=0.01))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        statuses = [(await run(client, csrf_token, "SELECT 1")).status_code for _ in range(3)]
        refused = await run(client, csrf_token, "SELECT 1")
        html = await refused.get_data(as_text=True)
        other = await client.get("/query", headers={"X-Forwarded-For": "198.51.100.9"})
    assert statuses == [200, 200, 429]
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Too many console statements" in html
    assert other.status_code == 200


async def test_a_busy_console_answers_429(offline_client, csrf_token, resources_of, offline_app):
    console = resources_of(offline_app).console
    console._running = console._max_concurrent  # as if that many statements were running
    response = await run(offline_client, csrf_token, "SELECT 1")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert "console statements are running" in await response.get_data(as_text=True)
