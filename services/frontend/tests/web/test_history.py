"""History pages: newest first, search, pagination, detail, XSS escaped, database down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from frontend.app import create_app

from testkit.servers import free_port

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def at_minute(minute: int) -> datetime:
    return datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute)


@pytest.fixture
async def seeded(offline_app, resources_of, make_translation) -> list[int]:
    """Store three translations, oldest first; return their ids."""
    repository = resources_of(offline_app).repository
    texts = [
        ("Der Hund bellt.", "The dog barks."),
        (f"Böse {XSS}", f"Evil {XSS}"),
        ("Die Katze schläft.", "The cat sleeps."),
    ]
    return [
        await repository.save(
            make_translation(
                source_text=source,
                translated_text=translated,
                model="tiny",
                created_at=at_minute(n),
            )
        )
        for n, (source, translated) in enumerate(texts, start=1)
    ]


async def test_history_lists_newest_first(offline_client, seeded) -> None:
    html = await (await offline_client.get("/history")).get_data(as_text=True)
    positions = [html.index(f'href="/history/{i}"') for i in reversed(seeded)]
    assert positions == sorted(positions)
    assert "3 translations" in html


async def test_history_search_finds_source_and_translation(offline_client, seeded) -> None:
    by_source = await (await offline_client.get("/history?q=Katze")).get_data(as_text=True)
    assert f'href="/history/{seeded[2]}"' in by_source
    assert f'href="/history/{seeded[0]}"' not in by_source
    by_translation = await (await offline_client.get("/history?q=barks")).get_data(as_text=True)
    assert f'href="/history/{seeded[0]}"' in by_translation
    assert "1 translation containing" in by_translation


async def test_history_escapes_stored_text(offline_client, seeded) -> None:
    for path in ("/history", f"/history/{seeded[1]}", "/history?q=%3Cscript%3E"):
        html = await (await offline_client.get(path)).get_data(as_text=True)
        assert "<script>alert" not in html, path
        assert "<img src=x" not in html, path
        assert "&lt;script&gt;alert(" in html, path


async def test_history_paginates(make_settings, resources_of, make_translation) -> None:
    app = create_app(make_settings(history_per_page=2))
    async with app.test_app() as test_app:
        repository = resources_of(app).repository
        ids = [
            await repository.save(
                make_translation(
                    source_text=f"Satz {n}.",
                    translated_text=f"Sentence {n}.",
                    created_at=at_minute(n),
                )
            )
            for n in range(5)
        ]
        client = test_app.test_client()
        first = await (await client.get("/history")).get_data(as_text=True)
        last = await (await client.get("/history?page=3")).get_data(as_text=True)
    assert "Page 1 of 3" in first
    assert f'href="/history/{ids[4]}"' in first
    assert f'href="/history/{ids[0]}"' not in first
    assert 'rel="next"' in first
    assert f'href="/history/{ids[0]}"' in last
    assert 'rel="next"' not in last


async def test_detail_shows_metadata(offline_client, seeded) -> None:
    html = await (await offline_client.get(f"/history/{seeded[0]}")).get_data(as_text=True)
    assert "Translation #" in html
    assert "de → en" in html
    assert "tiny (ctranslate2)" in html
    assert "2026-01-01 00:01:00 UTC" in html
    assert "The dog barks." in html


async def test_unknown_translation_is_404(offline_client, seeded) -> None:
    assert (await offline_client.get("/history/999999")).status_code == 404


async def test_history_with_the_database_down_says_so(make_settings) -> None:
    # Nothing listens on the port: the server database is down from the start.
    url = f"mysql+asyncmy://app:pw-not-used@127.0.0.1:{free_port()}/translations"
    app = create_app(make_settings(database_url=url, database_readonly_url=url))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        history = await client.get("/history")
        ready = await client.get("/readyz")
        html = await history.get_data(as_text=True)
    assert history.status_code == 503
    assert "database cannot be reached" in html
    assert ready.status_code == 503


async def test_detail_pairs_each_stored_segment_in_both_panes(
    offline_app, offline_client, resources_of, make_translation
) -> None:
    saved = await resources_of(offline_app).repository.save(
        make_translation(
            source_text="Der Hund bellt.\n\nDie Katze schläft.",
            translated_text="The dog barks.\n\nThe cat sleeps.",
            segments=2,
            segment_lengths=((15, 14), (20, 17)),
        )
    )
    html = await (await offline_client.get(f"/history/{saved}")).get_data(as_text=True)
    source_pane, translation_pane = html.split('id="source-pane"')[1].split('id="translation-pane"')
    assert (
        '<span class="seg" data-segment="1" tabindex="-1">Die Katze schläft.</span>' in source_pane
    )
    assert '<span class="seg" data-segment="1" tabindex="-1">The cat sleeps.</span>' in (
        translation_pane
    )
    assert source_pane.count('class="line"') == translation_pane.count('class="line"') == 3


async def test_detail_of_a_translation_saved_without_boundaries_shows_one_pair(
    offline_client, seeded
) -> None:
    html = await (await offline_client.get(f"/history/{seeded[0]}")).get_data(as_text=True)
    assert html.count('data-segment="0"') == 2
    assert 'data-segment="1"' not in html


async def test_detail_of_an_article_names_its_page(
    offline_client, offline_app, resources_of, make_translation
) -> None:
    """An article read by URL shows where it came from; pasted text shows no such line."""
    repository = resources_of(offline_app).repository
    article = await repository.save(
        make_translation(source_url="http://127.0.0.1:9/artikel", title="Ein <b>Bericht</b>")
    )
    pasted = await repository.save(make_translation())
    html = await (await offline_client.get(f"/history/{article}")).get_data(as_text=True)
    assert '<a href="http://127.0.0.1:9/artikel"' in html
    assert "Ein &lt;b&gt;Bericht&lt;/b&gt;" in html
    other = await (await offline_client.get(f"/history/{pasted}")).get_data(as_text=True)
    assert "<dt>Article</dt>" not in other
