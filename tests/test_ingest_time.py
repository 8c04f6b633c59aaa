"""Timestamp parsing for ingestors: Indonesian zones, names and relative times, ISO 8601, Twitter, RFC 2822, epoch."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from pipeline.ingest._time import parse_time, resolve_tz

WIB, WITA, WIT = (timezone(timedelta(hours=h)) for h in (7, 8, 9))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-03 14:05 WIB", datetime(2026, 11, 3, 14, 5, tzinfo=WIB)),
        ("2026-11-03 14:05 WITA", datetime(2026, 11, 3, 14, 5, tzinfo=WITA)),
        ("2026-11-03 14:05 WIT", datetime(2026, 11, 3, 14, 5, tzinfo=WIT)),
        ("2026-11-03 14:05 wita", datetime(2026, 11, 3, 14, 5, tzinfo=WITA)),
        ("03/11/2026 14.05 WIT", datetime(2026, 11, 3, 14, 5, tzinfo=WIT)),
        ("Selasa, 3 November 2026 14:05 WIB", datetime(2026, 11, 3, 14, 5, tzinfo=WIB)),
        ("Kamis, 05 Nov 2026 pukul 20.10 WITA", datetime(2026, 11, 5, 20, 10, tzinfo=WITA)),
        ("17 Agustus 2026", datetime(2026, 8, 17, tzinfo=WIB)),
        ("2026-11-03T07:05:00.000Z", datetime(2026, 11, 3, 7, 5, tzinfo=UTC)),
        ("2026-11-03T14:05:00+08:00", datetime(2026, 11, 3, 14, 5, tzinfo=WITA)),
        ("2026-11-03 14:05", datetime(2026, 11, 3, 14, 5, tzinfo=WIB)),
        ("Tue Nov 03 07:05:00 +0000 2026", datetime(2026, 11, 3, 7, 5, tzinfo=UTC)),
        ("Tue, 03 Nov 2026 14:05:00 +0700", datetime(2026, 11, 3, 14, 5, tzinfo=WIB)),
        ("Tue, 03 Nov 2026 07:05:00 GMT", datetime(2026, 11, 3, 7, 5, tzinfo=UTC)),
        ("1793689500", datetime(2026, 11, 3, 7, 5, tzinfo=UTC)),
        ("1793689500000", datetime(2026, 11, 3, 7, 5, tzinfo=UTC)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_zone_suffix_keeps_the_local_wall_clock() -> None:
    parsed = parse_time("2026-11-03 14:05 WITA")
    assert (parsed.hour, parsed.tzname()) == (14, "WITA")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1793689500, datetime(2026, 11, 3, 7, 5, tzinfo=UTC)),
        (datetime(2026, 11, 3, 14, 5), datetime(2026, 11, 3, 14, 5, tzinfo=WIT)),
        (date(2026, 11, 3), datetime(2026, 11, 3, tzinfo=WIT)),
        (None, None),
        ("", None),
    ],
)
def test_non_string_values_and_default_zone(value: object, expected: datetime | None) -> None:
    assert parse_time(value, resolve_tz("Asia/Jayapura")) == expected


@pytest.mark.parametrize(
    "bad", ["kemarin sore", "31/02/2026 10.00", "2026-13-45", "12 Desemberan 2026", "12", "2026", "-5"]
)
def test_unparseable_times_raise_value_error_naming_the_value(bad: str) -> None:
    with pytest.raises(ValueError, match="unrecognised timestamp"):
        parse_time(bad)


# 20:00 UTC is 03:00 the next day in WIB: "kemarin" (yesterday) must be read on the WIB calendar.
NOW = datetime(2026, 11, 10, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2 jam yang lalu", datetime(2026, 11, 11, 1, 0, tzinfo=WIB)),
        ("kemarin 19.30", datetime(2026, 11, 10, 19, 30, tzinfo=WIB)),
        ("Kemarin pukul 19.30", datetime(2026, 11, 10, 19, 30, tzinfo=WIB)),
        ("3 hari lalu", datetime(2026, 11, 8, 3, 0, tzinfo=WIB)),
        ("baru saja", datetime(2026, 11, 11, 3, 0, tzinfo=WIB)),
        ("5 menit yang lalu", datetime(2026, 11, 11, 2, 55, tzinfo=WIB)),
        ("1 minggu yang lalu", datetime(2026, 11, 4, 3, 0, tzinfo=WIB)),
        ("2j", datetime(2026, 11, 11, 1, 0, tzinfo=WIB)),
        ("Sabtu pukul 14.00", datetime(2026, 11, 7, 14, 0, tzinfo=WIB)),
        ("kemarin 19.30 WITA", datetime(2026, 11, 10, 19, 30, tzinfo=WITA)),
        ("yesterday 7pm", datetime(2026, 11, 10, 19, 0, tzinfo=WIB)),
    ],
)
def test_relative_times_count_back_from_now_on_the_local_wall_clock(text: str, expected: datetime) -> None:
    parsed = parse_time(text, now=NOW)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_relative_times_use_the_default_zone() -> None:
    parsed = parse_time("kemarin 19.30", resolve_tz("Asia/Jayapura"), now=NOW)  # 05:00 on the 11th in WIT
    assert parsed == datetime(2026, 11, 10, 19, 30, tzinfo=WIT)
    assert parsed.utcoffset() == timedelta(hours=9)


def test_relative_times_default_to_the_current_time() -> None:
    before = datetime.now(UTC)
    parsed = parse_time("baru saja")
    assert before <= parsed <= datetime.now(UTC)
    assert parsed.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(
    ("name", "offset"), [("Asia/Jakarta", 7), ("Asia/Makassar", 8), ("WIT", 9), ("+07:00", 7), ("UTC", 0)]
)
def test_resolve_tz(name: str, offset: int) -> None:
    assert resolve_tz(name).utcoffset(datetime(2026, 11, 3)) == timedelta(hours=offset)


def test_resolve_tz_unknown() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'Asia/Bandung'"):
        resolve_tz("Asia/Bandung")
