"""The "files" ingestor: formats, gzip, globs/directories, cursor resume and bad input."""

from __future__ import annotations

import gzip
import json
import shutil
import zlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from _http import drain

from pipeline.errors import InputError
from pipeline.ingest import make_ingestor

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"
CSV_COLUMNS = {
    "id_column": "id",
    "time_column": "created_at",
    "author_column": "author",
    "url_column": "url",
    "shares_column": "shares",
    "views_column": "views",
    "followers_column": "followers",
}
JSONL_COLUMNS = {
    "text_column": "content",
    "id_column": "id",
    "time_column": "time",
    "author_column": "user.name",
    "followers_column": "user.followers",
    "shares_column": "stats.reposts",
    "views_column": "stats.views",
}


def files(paths: list[str | Path] | str | Path, **options: object):
    paths = paths if isinstance(paths, list) else [paths]
    return make_ingestor("uji-berkas", {"kind": "files", "paths": [str(p) for p in paths], **options})


def test_csv_maps_every_column_with_indonesian_zones_and_counts() -> None:
    result = drain(files(FIXTURES / "posts.csv", **CSV_COLUMNS))
    assert result.problems == []
    by_id = {post.post_id: post for post in result.posts}
    assert list(by_id) == ["fb-1001", "fb-1002", "fb-1003", "fb-1004"]
    first = by_id["fb-1001"]
    assert (first.platform, first.author, first.source) == ("file", "Rina Marlina", "uji-berkas")
    assert first.url == "https://contoh.social/rina/posts/1001"
    assert (first.shares, first.views, first.followers) == (1234, 56789, 2500)
    assert first.created_at == datetime(2026, 11, 3, 7, 5, tzinfo=UTC)
    makassar = by_id["fb-1002"]
    assert (makassar.shares, makassar.views, makassar.followers) == (12000, 1_200_000, 48000)
    assert makassar.created_at.utcoffset() == timedelta(hours=8)
    jayapura = by_id["fb-1003"]
    assert jayapura.text.splitlines()[1] == "besok jam 9 pagi ada pemadaman listrik total se-Jayapura."
    assert jayapura.created_at == datetime(2026, 11, 3, 19, 45, tzinfo=timezone(timedelta(hours=9)))
    assert (jayapura.url, jayapura.views, jayapura.shares) == (None, None, 87)
    assert jayapura.raw["author"] == "Yohanes Wenda"


def test_jsonl_with_dotted_columns() -> None:
    result = drain(files(FIXTURES / "posts.jsonl", **JSONL_COLUMNS))
    assert result.problems == []
    assert [p.post_id for p in result.posts] == ["tw-2001", "tw-2002", "tw-2003"]
    post = result.posts[2]
    assert (post.author, post.followers, post.shares, post.views) == ("cekfakta_id", 250000, 1500, 300000)
    assert post.created_at == datetime(2026, 11, 5, 13, 10, tzinfo=UTC)
    assert result.posts[1].created_at == datetime(2026, 11, 5, 9, 20, tzinfo=UTC)  # epoch seconds


def _parquet_from_csv(tmp_path: Path) -> Path:
    table = pacsv.read_csv(
        FIXTURES / "posts.csv",
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in ("shares", "views", "followers")}
        ),
    )
    out = tmp_path / "posts.parquet"
    pq.write_table(table, out, row_group_size=2)
    return out


def _gzipped(src: Path, tmp_path: Path) -> Path:
    out = tmp_path / (src.name + ".gz")
    out.write_bytes(gzip.compress(src.read_bytes()))
    return out


@pytest.mark.parametrize("kind", ["csv", "csv.gz", "parquet"])
def test_same_posts_from_csv_gzip_and_parquet(kind: str, tmp_path: Path) -> None:
    path = {
        "csv": lambda: FIXTURES / "posts.csv",
        "csv.gz": lambda: _gzipped(FIXTURES / "posts.csv", tmp_path),
        "parquet": lambda: _parquet_from_csv(tmp_path),
    }[kind]()
    result = drain(files(path, **CSV_COLUMNS))
    assert result.problems == []
    assert [(p.post_id, p.shares, p.views) for p in result.posts] == [
        ("fb-1001", 1234, 56789),
        ("fb-1002", 12000, 1_200_000),
        ("fb-1003", 87, None),
        ("fb-1004", None, None),
    ]
    assert result.posts[2].created_at.utcoffset() == timedelta(hours=9)
    assert result.posts[0].text.startswith("Beredar pesan berantai bahwa vaksin campak")


def test_plain_text_one_post_per_line_with_line_ids(tmp_path: Path) -> None:
    path = _gzipped(FIXTURES / "catatan.txt", tmp_path)
    result = drain(files(path))
    assert [p.post_id for p in result.posts] == ["catatan.txt.gz:1", "catatan.txt.gz:3", "catatan.txt.gz:4"]
    assert result.posts[1].text == "Pesan dari grup sebelah: jangan lewat jalan tol besok, ada demo besar."
    assert result.posts[0].created_at is None


def test_globs_and_directories(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    shutil.copy(FIXTURES / "posts.csv", tmp_path / "a" / "satu.csv")
    shutil.copy(FIXTURES / "catatan.txt", tmp_path / "a" / "b" / "dua.txt")
    (tmp_path / "a" / "b" / "gambar.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (tmp_path / "a" / "b" / "tiga.jsonl").write_text(
        '{"text": "kabar dari berkas ketiga"}\n', encoding="utf-8"
    )
    by_dir = drain(files(tmp_path / "a"))
    assert sorted({p.post_id.split(":")[0] for p in by_dir.posts}) == ["dua.txt", "satu.csv", "tiga.jsonl"]
    assert len(by_dir.posts) == 4 + 3 + 1 and by_dir.problems == []
    by_glob = drain(files(str(tmp_path / "**" / "*.txt")))
    assert [p.post_id for p in by_glob.posts] == ["dua.txt:1", "dua.txt:3", "dua.txt:4"]
    assert drain(files(str(tmp_path / "*.csv"))).posts == []  # a glob with no match is simply empty
    with pytest.raises(InputError, match="tidak-ada.csv: no such file"):
        drain(files(tmp_path / "tidak-ada.csv"))


def test_semicolon_csv_from_indonesian_excel_is_sniffed(tmp_path: Path) -> None:
    path = tmp_path / "ekspor_excel.csv"
    path.write_text(
        "\ufeffno;isi;waktu\n1;Katanya sekolah libur seminggu, benar?;05/11/2026 08.00\n", encoding="utf-8"
    )
    result = drain(files(path, text_column="isi", id_column="no", time_column="waktu"))
    assert [(p.post_id, p.text) for p in result.posts] == [("1", "Katanya sekolah libur seminggu, benar?")]
    assert result.posts[0].created_at == datetime(2026, 11, 5, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("compress", [False, True])
def test_cursor_resumes_after_appended_rows(tmp_path: Path, compress: bool) -> None:
    path = tmp_path / ("harian.csv.gz" if compress else "harian.csv")
    first = "text,author\nPesan pertama soal banjir,ani\nPesan kedua soal jalan rusak,budi\n"
    more = "Pesan ketiga soal demo,cici\n"
    write = (
        (lambda p, s, mode: gzip.open(p, mode).write(s.encode()))
        if compress
        else (lambda p, s, mode: p.open(mode).write(s.encode()))
    )
    write(path, first, "wb")
    run1 = drain(files(path, author_column="author"))
    assert [p.post_id for p in run1.posts] == [f"{path.name}:2", f"{path.name}:3"]
    assert drain(files(path), run1.cursor).posts == []
    write(path, more, "ab")  # a gzip file grows by another member
    run2 = drain(files(path, author_column="author"), run1.cursor)
    assert [(p.post_id, p.text, p.author) for p in run2.posts] == [
        (f"{path.name}:4", "Pesan ketiga soal demo", "cici")
    ]


def test_replaced_file_is_read_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "rotasi.jsonl"
    path.write_text('{"text": "isi lama"}\n', encoding="utf-8")
    run1 = drain(files(path))
    path.write_text('{"text": "isi baru satu"}\n{"text": "isi baru dua"}\n', encoding="utf-8")
    assert [p.text for p in drain(files(path), run1.cursor).posts] == ["isi baru satu", "isi baru dua"]


def test_resume_from_any_committed_item_gives_no_gaps_and_no_duplicates(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "posts.csv", tmp_path / "a.csv")
    shutil.copy(FIXTURES / "catatan.txt", tmp_path / "b.txt")
    (tmp_path / "c.jsonl").write_text('{"text": "satu"}\nrusak\n{"text": "dua"}\n', encoding="utf-8")
    ingestor = files(tmp_path, id_column="id")
    items = list(ingestor.iter_posts(None))
    all_ids = [i.post.post_id for i in items if i.post]
    assert all_ids == ["fb-1001", "fb-1002", "fb-1003", "fb-1004", "b.txt:1", "b.txt:3", "b.txt:4"]
    assert [i.problem for i in items if i.problem] == [
        "c.jsonl:1: no id in column 'id'; skipped",
        "c.jsonl:2: invalid JSON (Expecting value at column 1); skipped",
        "c.jsonl:3: no id in column 'id'; skipped",
    ]
    resumed = 0
    for stop, item in enumerate(items):
        if item.cursor is None:
            continue
        committed = [i.post.post_id for i in items[: stop + 1] if i.post]
        rest = [p.post_id for p in drain(ingestor, item.cursor).posts]
        assert committed + rest == all_ids
        resumed += 1
    assert resumed >= len(all_ids)


def test_missing_text_column_skips_the_file_with_one_clear_line() -> None:
    items = list(files(FIXTURES / "posts.csv", text_column="isi_pesan").iter_posts(None))
    [skipped] = [i for i in items if i.problem]
    assert skipped.partial and not [i for i in items if i.post]
    assert "\n" not in skipped.problem
    assert "posts.csv: no text column 'isi_pesan'" in skipped.problem and "id, text, created_at" in skipped.problem
    assert skipped.problem.endswith("; file skipped")


def _good_csv(path: Path, start: int, n: int) -> None:
    rows = "".join(f"g{i},Kabar baik nomor {i} dari warga\n" for i in range(start, start + n))
    path.write_text("id,text\n" + rows, encoding="utf-8")


def test_a_csv_without_the_text_column_costs_only_itself(tmp_path: Path) -> None:
    _good_csv(tmp_path / "a.csv", 0, 5)
    (tmp_path / "b.csv").write_text("id,isi\nx1,tanpa kolom teks\n", encoding="utf-8")
    _good_csv(tmp_path / "c.csv", 5, 6)
    source = files(tmp_path, id_column="id")
    items = list(source.iter_posts(None))
    assert sorted(i.post.post_id for i in items if i.post) == sorted(f"g{i}" for i in range(11))
    [skipped] = [i for i in items if i.problem]
    assert skipped.partial and skipped.problem.startswith("b.csv: no text column 'text'")
    cursor = [i.cursor for i in items if i.cursor][-1]
    assert drain(source, cursor).problems == []  # reported once, not on every run
    # Fixing the source's config reads the skipped file again, although the file itself did not change.
    fixed = drain(files(tmp_path, id_column="id", text_column="isi"), cursor)
    assert [p.post_id for p in fixed.posts] == ["x1"]


def test_invalid_utf8_csv_header_skips_that_file_only(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"id,te\xffxt\n1,isi\n")
    _good_csv(tmp_path / "b.csv", 0, 3)
    items = list(files(tmp_path, id_column="id").iter_posts(None))
    assert [i.post.post_id for i in items if i.post] == ["g0", "g1", "g2"]
    [skipped] = [i for i in items if i.problem]
    assert skipped.partial
    assert skipped.problem == ("a.csv:1: cannot read the CSV header (invalid UTF-8 at byte 6 of the line); "
                               "file skipped")


def test_malformed_rows_are_reported_with_line_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "kotor.csv"
    path.write_bytes(
        b"text,author\n"
        b"Baris baik pertama,ani\n"
        b"Baris rusak \xff\xfe UTF-8,budi\n"
        b"Baris dengan kolom berlebih,cici,ekstra\n"
        b"Baris baik kedua,dedi\n"
    )
    result = drain(files(path, author_column="author"))
    assert [p.text for p in result.posts] == ["Baris baik pertama", "Baris baik kedua"]
    assert [p.post_id for p in result.posts] == ["kotor.csv:2", "kotor.csv:5"]
    assert len(result.problems) == 2
    assert result.problems[0].startswith("kotor.csv:3: invalid UTF-8")
    assert result.problems[1] == "kotor.csv:4: expected 2 fields, got 3; skipped"


def test_an_unclosed_quote_costs_its_line_not_the_rest_of_the_file(tmp_path: Path) -> None:
    """A quote never closed makes the lines after it part of one field, up to the next quote or the end of the
    file: its line is reported and skipped, the lines after it are read as rows (a multi-line quoted post among
    them stays whole), each problem is reported once, and resuming after any item gives no gaps or duplicates."""
    path = tmp_path / "kutip.csv"
    path.write_bytes(
        b"text,author\n"
        b"Baris baik pertama,ani\n"
        b'"Kutipan yang tidak pernah ditutup,budi\n'
        b"Baris baik kedua,cici\n"
        b"Baris rusak \xff UTF-8,dedi\n"
        b'"Postingan dua baris\nyang sah",eko\n'
        b'"Kutipan terakhir juga terbuka,fani\n'
        b"Baris baik ketiga,gita\n"
    )
    ingestor = files(path, author_column="author")
    items = list(ingestor.iter_posts(None))
    posts = [i.post for i in items if i.post]
    assert [p.text for p in posts] == ["Baris baik pertama", "Baris baik kedua", "Postingan dua baris\nyang sah",
                                       "Baris baik ketiga"]
    assert [p.author for p in posts] == ["ani", "cici", "eko", "gita"]
    assert [p.post_id for p in posts] == ["kutip.csv:2", "kutip.csv:4", "kutip.csv:6", "kutip.csv:9"]
    assert [i.problem for i in items if i.problem] == [
        "kutip.csv:3: malformed CSV (',' expected after '\"', line 6, in a quoted field opened here); line skipped",
        "kutip.csv:5: invalid UTF-8 at byte 13 of the line; skipped",
        "kutip.csv:8: unclosed quote: the quoted field opened here runs to the end of the file (2 lines); "
        "line skipped",
    ]
    all_ids = [p.post_id for p in posts]
    for stop, item in enumerate(items):
        if item.cursor is not None:
            committed = [i.post.post_id for i in items[: stop + 1] if i.post]
            assert committed + [p.post_id for p in drain(ingestor, item.cursor).posts] == all_ids


def test_bad_json_lines_and_unparseable_times(tmp_path: Path) -> None:
    path = tmp_path / "campur.jsonl"
    path.write_text(
        '{"text": "aman", "t": "2026-11-05 10:00 WIT"}\n{"text": "terpotong", \n[1, 2]\n'
        '{"text": "jam aneh", "t": "kemarin sore"}\n',
        encoding="utf-8",
    )
    items = list(files(path, time_column="t").iter_posts(None))
    posts = [i.post for i in items if i.post]
    problems = [i for i in items if i.problem]
    assert [p.text for p in posts] == ["aman", "jam aneh"]
    assert posts[0].created_at.utcoffset() == timedelta(hours=9) and posts[1].created_at is None
    assert problems[0].problem.startswith("campur.jsonl:2: invalid JSON")
    assert problems[1].problem == "campur.jsonl:3: not a JSON object but list; skipped"
    assert len(problems) == 2
    assert posts[1].raw["t"] == "kemarin sore"  # an unparseable time does not cost the post


def test_unterminated_json_string_is_located_once(tmp_path: Path) -> None:
    path = tmp_path / "putus.jsonl"
    path.write_text('{"text": "kalimat yang putus\n{"text": "utuh"}\n', encoding="utf-8")
    result = drain(files(path))
    assert [p.text for p in result.posts] == ["utuh"]
    assert result.problems == ["putus.jsonl:1: invalid JSON (Unterminated string starting at column 10); skipped"]


@pytest.mark.parametrize("suffix", [".jsonl", ".txt"])
def test_fifty_megabyte_single_line_is_skipped_and_neighbours_kept(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"raksasa{suffix}"

    def line(text: str) -> str:
        return json.dumps({"text": text}) if suffix == ".jsonl" else text

    with path.open("w", encoding="utf-8") as fh:
        fh.write(line("sebelum baris raksasa") + "\n")
        fh.write(line("a" * (50 * 1024 * 1024)) + "\n")
        fh.write(line("sesudah baris raksasa") + "\n")
    result = drain(files(path))
    assert [p.text for p in result.posts] == ["sebelum baris raksasa", "sesudah baris raksasa"]
    assert [p.post_id for p in result.posts] == [f"raksasa{suffix}:1", f"raksasa{suffix}:3"]
    assert len(result.problems) == 1
    assert result.problems[0].startswith(f"raksasa{suffix}:2: line is 52,")
    assert "over the 4,194,304-byte limit" in result.problems[0]


def test_a_stray_nul_byte_costs_its_line_and_utf16_is_named(tmp_path: Path) -> None:
    """A text export with one NUL byte is still text: that line is reported, the others are posts. A UTF-16 file
    (Excel's "Unicode text") is skipped with a message that says how to save it."""
    (tmp_path / "a.csv").write_bytes(b"text\nBaris baik pertama\nBaris \x00 rusak\nBaris baik kedua\n")
    (tmp_path / "b.txt").write_bytes(b"Baris teks\n\x00\nBaris teks lain\n")
    (tmp_path / "c.csv").write_bytes("text\nHalo semua\n".encode("utf-16"))
    (tmp_path / "d.csv").write_bytes("text\nHalo semua, tanpa BOM\n".encode("utf-16-le"))
    result = drain(files(str(tmp_path / "*")))
    assert [p.text for p in result.posts] == ["Baris baik pertama", "Baris baik kedua", "Baris teks",
                                              "Baris teks lain"]
    utf16 = "looks like UTF-16 text, not UTF-8: save it as UTF-8 (Excel: 'CSV UTF-8'); file skipped"
    assert result.problems == ["a.csv:3: NUL byte in line (binary data?); skipped",
                               "b.txt:2: NUL byte in line (binary data?); skipped",
                               f"c.csv: {utf16}", f"d.csv: {utf16}"]


def test_binary_file_named_csv_is_skipped_and_good_files_kept(tmp_path: Path) -> None:
    (tmp_path / "a_foto.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40)
    shutil.copy(FIXTURES / "posts.csv", tmp_path / "b_asli.csv")
    result = drain(files(str(tmp_path / "*.csv"), id_column="id"))
    assert [p.post_id for p in result.posts] == ["fb-1001", "fb-1002", "fb-1003", "fb-1004"]
    assert result.problems == ["a_foto.csv: looks like a binary file (NUL bytes), not text; file skipped"]
    rerun = drain(files(str(tmp_path / "*.csv"), id_column="id"), result.cursor)
    assert rerun.posts == [] and rerun.problems == []  # reported once, not on every run


def _complete_lines(truncated: bytes) -> int:
    """How many whole lines the readable part of a truncated gzip stream holds (zlib, independently of patroli)."""
    text = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(truncated)
    return text.count(b"\n")


@pytest.mark.parametrize("rows, cut", [(94, 0.5), (94, 0.9), (5000, 0.5), (5000, 0.97), (3, 0.8)])
def test_truncated_gzip_keeps_every_row_before_the_damage(tmp_path: Path, rows: int, cut: float) -> None:
    lines = "".join(
        json.dumps({"id": f"m{i}", "text": f"pesan berantai nomor {i}"}) + "\n" for i in range(rows)
    )
    data = gzip.compress(lines.encode())
    truncated = data[: int(len(data) * cut)]
    path = tmp_path / "arsip.jsonl.gz"
    path.write_bytes(truncated)
    kept = _complete_lines(truncated)
    assert 0 < kept < rows
    items = list(files(path, id_column="id").iter_posts(None))
    posts = [i.post for i in items if i.post]
    assert [p.post_id for p in posts] == [f"m{i}" for i in range(kept)]
    [damage] = [i for i in items if i.problem]
    assert damage.partial
    assert damage.problem.startswith(f"arsip.jsonl.gz:{kept + 1}: compressed file ends early")


def test_gzip_resumes_at_its_cursor_and_reads_concatenated_members(tmp_path: Path) -> None:
    path = tmp_path / "dua.txt.gz"
    path.write_bytes(gzip.compress(b"satu\ndua\n") + gzip.compress(b"tiga\n"))
    first = drain(files(path))
    assert [p.text for p in first.posts] == ["satu", "dua", "tiga"] and first.problems == []
    with path.open("ab") as fh:
        fh.write(gzip.compress(b"empat\n"))
    assert [p.text for p in drain(files(path), first.cursor).posts] == ["empat"]


def test_auto_columns_take_the_first_conventional_name_present(tmp_path: Path) -> None:
    path = tmp_path / "dua_id.csv"
    path.write_text("text,post_id,id,date,created_at\nInfo banjir di Bekasi,p-1,a-1,2024-01-02,2024-03-04T05:06:07Z\n",
                    encoding="utf-8")
    [post] = drain(files(path, auto_columns=True)).posts
    assert post.post_id == "a-1"
    assert post.created_at == datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_auto_columns_follow_each_rows_own_fields(tmp_path: Path) -> None:
    # JSON records need not share their fields: each row's mapping is that of its own field names.
    rows = [{"text": "satu", "id": "a-1", "author": "budi"}, {"text": "dua", "post_id": "p-2", "user": "sari"},
            {"post_id": "p-3", "text": "tiga", "id": "a-3"}, {"text": "empat", "id": "a-4", "author": "budi"},
            {"text": "lima", "post_id": "p-5"}]
    path = tmp_path / "campur.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    posts = drain(files(path, auto_columns=True)).posts
    assert [(p.post_id, p.author) for p in posts] == [("a-1", "budi"), ("p-2", "sari"), ("a-3", None),
                                                      ("a-4", "budi"), ("p-5", None)]
