"""Timestamps from every source as timezone-aware datetimes.

The common unambiguous forms are read here directly: ISO 8601, epoch seconds/milliseconds, Twitter v1
(`Wed Oct 10 20:19:24 +0000 2018`), RFC 2822 (RSS) and Indonesian day-first dates with day/month names
("Selasa, 3 Nov 2026 14.05 WIB", "03/11/2026 14.05"). Everything else goes to dateparser (Indonesian and English),
which reads the relative times scraped posts carry ("2 jam yang lalu", "kemarin 19.30", "3 hari lalu", "baru saja")
against `now`. Indonesian zone suffixes WIB (+07), WITA (+08), WIT (+09) keep their wall clock; naive values get the
caller's zone.

Why the direct readers stay: dateparser took 0.3-11 ms per timestamp where they take 5-80 us, 66 to 650 times
longer (ISO 8601: 6-11 us against 3.4-7.2 ms; "Selasa, 3 November 2026 14:05 WIB": 65 us against 7.9-10.7 ms), so
100,000 posts would spend minutes instead of seconds on their timestamps; and it cannot read Twitter v1 dates at all.
Importing it adds about 0.13 s to `import pipeline` (0.2-0.3 s on its own). Two runs with 100,000 generated
timestamps per form (1,000 for dateparser) on two shared cores, so indicative only.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateparser

WIB = timezone(timedelta(hours=7), "WIB")
WITA = timezone(timedelta(hours=8), "WITA")
WIT = timezone(timedelta(hours=9), "WIT")
JAKARTA: tzinfo = WIB

_NAMED = {"WIB": WIB, "WITA": WITA, "WIT": WIT, "UTC": UTC, "GMT": UTC, "Z": UTC}
_ZONE_SUFFIX = re.compile(r"\s*\b(WITA|WIB|WIT|UTC|GMT)\s*$", re.IGNORECASE)
_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
# "19.30" is how Indonesian writes a time of day; dateparser reads it only as "19:30".
_DOTTED_TIME = re.compile(r"(?<![\d.])(\d{1,2})\.(\d{2})(?![\d.])")
_LANGUAGES = ["id", "en"]

_MONTHS = {
    "jan": 1,
    "januari": 1,
    "january": 1,
    "feb": 2,
    "februari": 2,
    "february": 2,
    "mar": 3,
    "maret": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "mei": 5,
    "may": 5,
    "jun": 6,
    "juni": 6,
    "june": 6,
    "jul": 7,
    "juli": 7,
    "july": 7,
    "agu": 8,
    "agt": 8,
    "ags": 8,
    "agus": 8,
    "agustus": 8,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "okt": 10,
    "oktober": 10,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "nopember": 11,
    "november": 11,
    "des": 12,
    "desember": 12,
    "dec": 12,
    "december": 12,
}
_DAYS = r"(?:senin|selasa|rabu|kamis|jumat|jum'at|sabtu|minggu|ahad|mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_DAY_FIRST = re.compile(
    rf"^(?:{_DAYS},?\s+)?(\d{{1,2}})[\s/.-]+([a-z]+|\d{{1,2}})[\s/.-]+(\d{{4}}|\d{{2}})"
    r"(?:[,\s]+(?:pukul\s+|jam\s+)?(\d{1,2})[.:](\d{2})(?:[.:](\d{2}))?)?$",
    re.IGNORECASE,
)


def resolve_tz(name: str | tzinfo) -> tzinfo:
    """A tzinfo from an IANA name (Asia/Jakarta), WIB/WITA/WIT/UTC, or an offset like +07:00; ValueError if unknown."""
    if isinstance(name, tzinfo):
        return name
    key = name.strip()
    if key.upper() in _NAMED:
        return _NAMED[key.upper()]
    match = _OFFSET.match(key)
    if match:
        sign = -1 if match.group(1) == "-" else 1
        return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use e.g. Asia/Jakarta, WIB, WITA, WIT or +07:00)"
        ) from None


def parse_time(value: object, default_tz: tzinfo = JAKARTA, now: datetime | None = None) -> datetime | None:
    """Parse `value` (str, int/float epoch, datetime, date) to an aware datetime; None for empty values.

    Relative times ("2 jam yang lalu", "kemarin 19.30") count back from `now` (aware; default: the current time), read on
    the wall clock of the value's zone (its suffix, else `default_tz`). Raises ValueError with the offending value
    when it cannot be parsed.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=default_tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=default_tz)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise ValueError(f"unsupported timestamp {value!r}")
    text = " ".join(value.split())
    if not text:
        return None
    parsed = _parse_text(text, default_tz, now)
    if parsed is None:
        raise ValueError(f"unrecognised timestamp {value!r}")
    return parsed


def _parse_text(text: str, default_tz: tzinfo, now: datetime | None) -> datetime | None:
    if re.fullmatch(r"-?\d{9,13}(\.\d+)?", text):
        return _from_epoch(float(text))
    if _NUMBER.fullmatch(text):
        return None  # a bare number that is no epoch: dateparser would take it for a day of this month
    zone: tzinfo | None = None
    suffix = _ZONE_SUFFIX.search(text)
    if suffix:
        zone = _NAMED[suffix.group(1).upper()]
        text = text[: suffix.start()].strip()
    for parser in (_iso, _twitter_v1, _rfc2822, _day_first):
        parsed = parser(text)
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone or default_tz)
            return parsed
    return _dateparser(text, zone or default_tz, now)


def _from_epoch(seconds: float) -> datetime:
    # Millisecond epochs (JavaScript, many APIs) are 13 digits; seconds stay below 1e11 until the year 5138.
    if abs(seconds) >= 1e11:
        seconds /= 1000.0
    return datetime.fromtimestamp(seconds, tz=UTC)


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _twitter_v1(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        return None


def _rfc2822(text: str) -> datetime | None:
    if not re.search(r"[A-Za-z]{3}", text):
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed


def _day_first(text: str) -> datetime | None:
    match = _DAY_FIRST.match(text)
    if not match:
        return None
    day, month_text, year_text, hour, minute, second = match.groups()
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text.lower())
    if month is None:
        return None
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    try:
        return datetime(year, month, int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None


def _dateparser(text: str, zone: tzinfo, now: datetime | None) -> datetime | None:
    base = (now or datetime.now(UTC)).astimezone(zone).replace(tzinfo=None)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "DATE_ORDER": "DMY"}
    parsed = dateparser.parse(_DOTTED_TIME.sub(r"\1:\2", text), languages=_LANGUAGES, settings=settings)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=zone)
    # A zone named in the text comes back as a pytz object; keep the offset, as the other readers do.
    return parsed.replace(tzinfo=timezone(parsed.utcoffset() or timedelta(0)))
