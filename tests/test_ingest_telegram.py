"""The "telegram" ingestor: Telegram Desktop exports, entity-list texts, cursor per chat, truncated exports."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from _http import drain

from pipeline.ingest import _jsonstream, make_ingestor

EXPORT = Path(__file__).parent / "fixtures" / "ingest" / "telegram" / "ChatExport_2026-11-12" / "result.json"
WIB = timezone(timedelta(hours=7))


def telegram(path: Path | str, **options: object):
    return make_ingestor("kanal-info-warga", {"kind": "telegram", "paths": [str(path)], **options})


def test_channel_export_messages() -> None:
    result = drain(telegram(EXPORT.parent.parent))  # a directory: result.json files are found inside
    assert result.problems == []
    assert [p.post_id for p in result.posts] == [
        "1700123456:2",
        "1700123456:3",
        "1700123456:6",
        "1700123456:7",
    ]
    hoax = result.posts[1]
    assert hoax.text == (
        "AWAS HOAKS! Pesan yang menyebut air PDAM tercemar limbah pabrik #hoaks tidak benar. "
        "Cek rilis resmi di https://pdam.contoh.go.id/rilis."
    )
    assert (hoax.platform, hoax.author, hoax.views, hoax.source) == (
        "telegram",
        "Info Warga Kota Contoh",
        8930,
        "kanal-info-warga",
    )
    assert hoax.raw["forwarded_from"] == "Grup Kabar Viral 24 Jam"
    assert hoax.created_at == datetime(2026, 11, 2, 19, 40, tzinfo=WIB)
    assert hoax.created_at.utcoffset() == timedelta(hours=7)
    assert hoax.url == "https://t.me/c/1700123456/3"
    assert result.posts[2].text.splitlines() == [
        "Jadwal pemadaman bergilir hari ini:",
        "- Kecamatan Utara 09.00-12.00",
        "- Kecamatan Selatan 13.00-15.00",
        "Info dari @pln_contoh",
    ]


def test_username_option_gives_public_links() -> None:
    posts = drain(telegram(EXPORT, username="infowargakota")).posts
    assert posts[0].url == "https://t.me/infowargakota/2"


def test_a_newer_export_yields_only_new_messages(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    shutil.copy(EXPORT, path)
    first = drain(telegram(path))
    doc = json.loads(EXPORT.read_text(encoding="utf-8"))
    doc["messages"].append(
        {
            "id": 8,
            "type": "message",
            "date": "2026-11-04T06:00:00",
            "from": "Info Warga Kota Contoh",
            "text": ["Klarifikasi: ", {"type": "italic", "text": "tidak ada"}, " aksi ricuh semalam."],
        }
    )
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    second = drain(telegram(path), first.cursor)
    assert [(p.post_id, p.text) for p in second.posts] == [
        ("1700123456:8", "Klarifikasi: tidak ada aksi ricuh semalam.")
    ]
    assert second.posts[0].created_at == datetime(
        2026, 11, 4, 6, 0, tzinfo=WIB
    )  # no unixtime: the local date


@pytest.mark.parametrize("chunk", [1, 7, 100, 1 << 20])
def test_incremental_reading_is_independent_of_chunk_boundaries(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_jsonstream, "_CHUNK", chunk)
    expected = drain(telegram(EXPORT)).posts
    assert [p.text for p in drain(telegram(EXPORT)).posts] == [p.text for p in expected]
    text = EXPORT.read_text(encoding="utf-8")
    path = tmp_path / "result.json"
    path.write_text(text[: text.index('"Jadwal pemadaman')], encoding="utf-8")
    problems = drain(telegram(path)).problems
    line = text[: text.index('"id": 6,')].count("\n")  # where the broken message starts
    assert f"not valid JSON at line {line} (" in problems[0]


@pytest.mark.parametrize("chunk", [1, 1 << 16])
def test_messages_without_an_id_are_problems_naming_the_line_they_start_on(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_jsonstream, "_CHUNK", chunk)
    doc = {
        "name": "Grup Warga",
        "id": 77,
        "messages": [
            {"id": 1, "text": "satu"},
            {"text": "tanpa id"},
            "bukan pesan",
            {"id": 2, "text": "dua"},
        ],
    }
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    path = tmp_path / "result.json"
    path.write_text(text, encoding="utf-8")
    result = drain(telegram(path))
    assert [(p.post_id, p.text) for p in result.posts] == [("77:1", "satu"), ("77:2", "dua")]
    brace = text[: text.index('"text": "tanpa id"')].count("\n")  # the line of the "{" before it
    string = text[: text.index('"bukan pesan"')].count("\n") + 1
    where = f"{tmp_path.name}/result.json"
    assert result.problems == [
        f"{where}:{brace}: message without an id; skipped",
        f"{where}:{string}: message without an id; skipped",
    ]


def test_truncated_export_keeps_the_messages_before_the_damage(tmp_path: Path) -> None:
    text = EXPORT.read_text(encoding="utf-8")
    cut = text.index('"Jadwal pemadaman')  # in the middle of message 6
    path = tmp_path / "result.json"
    path.write_text(text[:cut], encoding="utf-8")
    result = drain(telegram(path))
    assert [p.post_id for p in result.posts] == ["1700123456:2", "1700123456:3"]
    assert len(result.problems) == 1
    problem = result.problems[0]
    assert problem.startswith(f"{tmp_path.name}/result.json: export is truncated or not valid JSON at line ")
    assert problem.endswith("the 5 messages before it were read and their posts kept")


@pytest.mark.parametrize("content", ["", "bukan json sama sekali", '{"name": "Grup", "messages": [{"id": 1,'])
def test_unreadable_exports_are_one_problem(tmp_path: Path, content: str) -> None:
    path = tmp_path / "result.json"
    path.write_text(content, encoding="utf-8")
    result = drain(telegram(path))
    assert result.posts == [] and len(result.problems) == 1
    assert "export is truncated or not valid JSON at line 1" in result.problems[0]


def test_whole_account_export_with_chat_list(tmp_path: Path) -> None:
    group = {
        "name": "Grup Alumni SMA 3",
        "type": "private_group",
        "id": 4455667788,
        "messages": [
            {
                "id": 10,
                "type": "message",
                "date": "2026-11-05T10:00:00",
                "date_unixtime": "1794884400",
                "from": "Wawan",
                "text": "Ada yang dapat pesan soal reuni dibatalkan? Itu penipuan, jangan transfer apa-apa.",
            },
            {
                "id": 11,
                "type": "service",
                "date": "2026-11-05T10:01:00",
                "actor": "Wawan",
                "action": "invite_members",
                "text": "",
            },
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(
        json.dumps({"about": "ekspor akun", "chats": {"about": "", "list": [group]}}), encoding="utf-8"
    )
    posts = drain(telegram(path)).posts
    assert [(p.post_id, p.author, p.url) for p in posts] == [("4455667788:10", "Wawan", None)]


def test_truncated_whole_account_export_keeps_the_chats_before_the_damage(tmp_path: Path) -> None:
    chats = [
        {
            "name": f"Grup {n}",
            "type": "private_group",
            "id": 4455667700 + n,
            "messages": [{"id": i, "type": "message", "text": f"pesan {i} di grup {n}"} for i in (1, 2)],
        }
        for n in (1, 2)
    ]
    text = json.dumps({"about": "ekspor akun", "chats": {"about": "", "list": chats}}, indent=1)
    path = tmp_path / "result.json"
    path.write_text(text[: text.index('"pesan 2 di grup 2"')], encoding="utf-8")
    result = drain(telegram(path))
    assert [p.post_id for p in result.posts] == ["4455667701:1", "4455667701:2"]
    second_chat = text[: text.index('"name": "Grup 2"')].count("\n")  # the line of its "{"
    assert len(result.problems) == 1
    assert f"not valid JSON at line {second_chat} (" in result.problems[0]
    assert result.problems[0].endswith("the 2 messages before it were read and their posts kept")
