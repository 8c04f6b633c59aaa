"""The "whatsapp" ingestor: Android and iOS exports in the Indonesian locale, stable ids, resume, bad lines."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from _http import drain

from pipeline.ingest import make_ingestor

FIXTURES = Path(__file__).parent / "fixtures" / "ingest" / "whatsapp"
ANDROID = FIXTURES / "Chat WhatsApp dengan Info Warga RT 05.txt"
WIB, WITA = timezone(timedelta(hours=7)), timezone(timedelta(hours=8))


def whatsapp(path: Path | str, **options: object):
    return make_ingestor("grup-rt05", {"kind": "whatsapp", "paths": [str(path)], **options})


def test_android_export() -> None:
    result = drain(whatsapp(ANDROID))
    assert result.problems == []
    assert [(p.author, p.created_at.strftime("%d/%m %H.%M")) for p in result.posts] == [
        ("Bu Sri", "12/11 21.05"),
        ("Pak RT Joko", "12/11 21.07"),
        ("Pak RT Joko", "12/11 21.07"),
        ("Dimas", "12/11 21.12"),
        ("Pak RT Joko", "13/11 07.30"),
    ]
    chain = result.posts[0]
    assert chain.text == (
        "Assalamualaikum bapak ibu, ada info dari grup sebelah:\n"
        "*PENTING* mulai besok semua warga wajib lapor ke kelurahan bawa KK asli, kalau tidak "
        "bansos dicabut.\nTolong sebarkan ke keluarga!!"
    )
    assert chain.created_at == datetime(2026, 11, 12, 21, 5, tzinfo=WIB)
    assert (chain.platform, chain.source, chain.raw["chat"]) == ("whatsapp", "grup-rt05", "Info Warga RT 05")
    assert result.posts[3].text == "Ini foto antrean di kelurahan tadi sore, rame banget"
    assert result.posts[4].text.endswith("Itu hoaks ya bapak ibu.")  # "<Pesan ini diedit>" removed
    assert len({p.post_id for p in result.posts}) == 5


def test_ios_export_with_seconds_and_invisible_marks() -> None:
    posts = drain(whatsapp(FIXTURES / "ios_keluarga.txt", chat="Keluarga Besar Siregar")).posts
    assert [(p.author, p.created_at.second) for p in posts] == [
        ("Tante Rosa", 45),
        ("Bang Ucok", 30),
        ("Opung", 15),
    ]
    assert (
        posts[1].text == "Tante, itu tidak benar. DBD harus diperiksa ke dokter,\njangan cuma pakai ramuan."
    )
    assert posts[0].raw["chat"] == "Keluarga Besar Siregar"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("12/11/26 21.05 - Budi: pesan", datetime(2026, 11, 12, 21, 5)),
        ("[12/11/26 21.05.33] Budi: pesan", datetime(2026, 11, 12, 21, 5, 33)),
        ("12/11/2026 21.05 - Budi: pesan", datetime(2026, 11, 12, 21, 5)),
        ("[12/11/2026, 21:05:33] Budi: pesan", datetime(2026, 11, 12, 21, 5, 33)),
        ("12/11/26, 9.05 PM - Budi: pesan", datetime(2026, 11, 12, 21, 5)),
        ("1/2/26 07.05 - Budi: pesan", datetime(2026, 2, 1, 7, 5)),
    ],
)
def test_header_formats(tmp_path: Path, line: str, expected: datetime) -> None:
    path = tmp_path / "chat.txt"
    path.write_text(line + "\n", encoding="utf-8")
    posts = drain(whatsapp(path, timezone="WITA")).posts
    assert [(p.author, p.text) for p in posts] == [("Budi", "pesan")]
    assert posts[0].created_at == expected.replace(tzinfo=WITA)


def test_month_first_date_order(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("11/12/26 21.05 - Budi: pesan\n", encoding="utf-8")
    assert drain(whatsapp(path, date_order="mdy")).posts[0].created_at.date().isoformat() == "2026-11-12"


def test_ids_are_stable_across_exports_and_the_cursor_yields_only_new_messages(tmp_path: Path) -> None:
    path = tmp_path / ANDROID.name
    shutil.copy(ANDROID, path)
    first = drain(whatsapp(path))
    with path.open("a", encoding="utf-8") as fh:
        fh.write("13/11/26 07.45 - Bu Sri: Maaf bapak ibu, saya salah kirim.\nTidak akan saya ulangi.\n")
    again = drain(whatsapp(path))
    assert [p.post_id for p in again.posts[:5]] == [p.post_id for p in first.posts]
    resumed = drain(whatsapp(path), first.cursor)
    assert [(p.author, p.text) for p in resumed.posts] == [
        ("Bu Sri", "Maaf bapak ibu, saya salah kirim.\nTidak akan saya ulangi.")
    ]
    assert resumed.posts[0].post_id == again.posts[5].post_id
    assert drain(whatsapp(path), resumed.cursor).posts == []


def test_resume_inside_a_minute_uses_the_message_index(tmp_path: Path) -> None:
    path = tmp_path / "ronda.txt"
    path.write_text("13/11/26 08.00 - Budi: satu\n13/11/26 08.00 - Budi: dua\n", encoding="utf-8")
    first = drain(whatsapp(path))
    with path.open("a", encoding="utf-8") as fh:
        fh.write("13/11/26 08.00 - Budi: tiga\n13/11/26 08.02 - Ani: empat\n")
    assert [p.text for p in drain(whatsapp(path), first.cursor).posts] == ["tiga", "empat"]


def test_invalid_utf8_line_is_reported_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "rusak.txt"
    path.write_bytes(
        b"12/11/26 21.05 - Budi: pesan pertama\n"
        + b"12/11/26 21.06 - Ani: \xc3\x28 rusak\n"
        + b"12/11/26 21.07 - Cici: pesan ketiga\n"
    )
    result = drain(whatsapp(path))
    assert [p.text for p in result.posts] == ["pesan pertama", "pesan ketiga"]
    assert result.problems == ["rusak.txt:2: invalid UTF-8 at byte 23 of the line; skipped"]
