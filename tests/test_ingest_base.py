"""The ingestor contract and registry: Item, cursors, option validation, built-in and third-party kinds."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from _http import drain

from pipeline.errors import ConfigError
from pipeline.ingest import (
    Ingestor,
    Item,
    available,
    decode_cursor,
    encode_cursor,
    get_ingestor,
    make_ingestor,
)
from pipeline.posts import Post

BUILTINS = ["files", "http_json", "rss", "telegram", "twitter", "whatsapp"]


def test_builtins_are_registered_with_their_name() -> None:
    kinds = available()
    assert set(BUILTINS) <= set(kinds)
    for kind in BUILTINS:
        cls = get_ingestor(kind)
        assert issubclass(cls, Ingestor)
        assert cls.name == kind


def test_unknown_kind_lists_the_known_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"unknown ingestor kind 'facebook'; known kinds: files, http_json, rss"
    ):
        get_ingestor("facebook")


def test_third_party_ingestor_registers_through_the_entry_point_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "patroli_contoh_plugin.py").write_text(
        textwrap.dedent("""
        from pipeline.ingest import Ingestor, Item, encode_cursor
        from pipeline.posts import Post

        class KentonganIngestor(Ingestor):
            name = "kentongan"

            def configure(self, opts):
                self.pesan = opts.str_list("pesan")

            def iter_posts(self, cursor):
                for i, text in enumerate(self.pesan):
                    yield Item(post=Post("kentongan", str(i), text, source=self.source),
                               cursor=encode_cursor(self.name, {"i": i}))
    """),
        encoding="utf-8",
    )
    dist = tmp_path / "patroli_contoh_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: patroli-contoh-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        "[patroli.ingestors]\nkentongan = patroli_contoh_plugin:KentonganIngestor\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert available()["kentongan"] == "patroli_contoh_plugin:KentonganIngestor"
    ingestor = make_ingestor(
        "ronda", {"kind": "kentongan", "pesan": ["Ada maling di gang 3", "Aman terkendali"]}
    )
    result = drain(ingestor)
    assert [(p.post_id, p.text, p.source) for p in result.posts] == [
        ("0", "Ada maling di gang 3", "ronda"),
        ("1", "Aman terkendali", "ronda"),
    ]
    assert decode_cursor("kentongan", result.cursor) == {"i": 1}


def test_broken_plugin_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "patroli_rusak-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: patroli-rusak\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[patroli.ingestors]\nrusak = modul_yang_tidak_ada:Apa\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(
        ConfigError, match=r"ingestor kind 'rusak' \(modul_yang_tidak_ada:Apa\) could not be loaded"
    ):
        get_ingestor("rusak")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"paths": ["x.csv"]}, r"source 'harian': missing 'kind' \(one of: files, "),
        (
            {"kind": "files", "paths": ["x.csv"], "text_colum": "isi"},
            r"source 'harian' \(kind 'files'\): unknown option\(s\) text_colum; known options: .*text_column",
        ),
        (
            {"kind": "files", "paths": 5},
            r"option 'paths' must be a string or a non-empty list of strings, got 5",
        ),
        ({"kind": "files"}, r"source 'harian' \(kind 'files'\): option 'paths' is required"),
        (
            {"kind": "files", "paths": "x.csv", "timezone": "Asia/Bandung"},
            r"unknown time zone 'Asia/Bandung'",
        ),
        (
            {"kind": "files", "paths": "x.csv", "max_record_bytes": "besar"},
            r"'max_record_bytes' must be an integer",
        ),
        ({"kind": "rss", "url": "ftp://contoh.id/feed"}, r"option 'url' must be an http\(s\) URL"),
        (
            {"kind": "whatsapp", "paths": "a.txt", "date_order": "ymd"},
            r"'date_order' must be one of dmy, mdy",
        ),
        (
            {"kind": "http_json", "url": "http://127.0.0.1/x", "pagination": "cursor"},
            r"needs next_cursor_path",
        ),
    ],
)
def test_bad_options_are_config_errors_naming_the_source(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_ingestor("harian", table)


def test_make_ingestor_passes_options_and_source_name() -> None:
    ingestor = make_ingestor("kanal-warga", {"kind": "telegram", "paths": "ekspor/", "username": "infowarga"})
    assert type(ingestor).__name__ == "TelegramIngestor"
    assert (ingestor.source, ingestor.paths, ingestor.username) == ("kanal-warga", ["ekspor/"], "infowarga")


def test_cursor_round_trip_and_kind_check() -> None:
    cursor = encode_cursor("rss", {"etag": '"abc"', "seen": ["a", "b"]})
    assert decode_cursor("rss", cursor) == {"etag": '"abc"', "seen": ["a", "b"]}
    assert decode_cursor("rss", None) == {}
    with pytest.raises(ConfigError, match="not a valid 'files' cursor.*--full-refresh"):
        decode_cursor("files", cursor)
    with pytest.raises(ConfigError, match="not a valid 'rss' cursor"):
        decode_cursor("rss", "bukan json")


def test_item_carries_a_post_or_a_problem_not_both() -> None:
    post = Post("file", "1", "teks")
    assert Item(post=post, cursor="c").problem is None
    assert Item(problem="x.csv:3: rusak", cursor="c").post is None
    with pytest.raises(ValueError):
        Item(post=post, problem="rusak")
