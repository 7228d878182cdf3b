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
