"""Verifying evidence: the database's evidence chain, post hashes and audit trails, and the signed chain heads that
evidence exports, reports and patrol logs carry (`verify --against FILE`)."""

from __future__ import annotations

import csv
import html
import itertools
import json
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.errors import InputError
from pipeline.signing import HTML_ATTRIBUTE, Head, key_id, load_public
from pipeline.store import StoreLike, evidence, ledger, opened

HEAD_COLUMNS = ("file", "seq", "sha256", "at", "key_id", "signature", "in_chain", "appended_since")
_HTML_HEAD = re.compile(HTML_ATTRIBUTE + r'="([^"]*)"')


@dataclass
class Verification:
    """What `check` found. `problems`: one row per problem (empty: intact); `heads`: one row per signed head
    checked (file, seq, sha256, at, key_id, signature: valid|unsigned|no key|other key|INVALID, in_chain,
    appended_since); `length`/`sha256`: the chain now."""

    problems: pd.DataFrame
    heads: pd.DataFrame
    length: int
    sha256: str
    key_id: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.problems.empty

    @property
    def rewrite_ruled_out(self) -> bool:
        """True when the chain is intact and matches at least one head signed with the trusted key."""
        ok = self.heads[(self.heads["signature"] == "valid") & self.heads["in_chain"]]
        return self.intact and not ok.empty

    def lines(self) -> list[str]:
        """The human summary: the verdict, each anchoring head, and what the check cannot prove."""
        out = []
        if self.intact:
            out.append(f"intact: the evidence chain ({self.length:,} entries, head {self.sha256[:16]}…), every "
                       f"post hash and audit trail check out")
        for head in self.heads.itertuples():
            verdict = "matches" if head.in_chain else "DOES NOT MATCH"
            out.append(f"{verdict} the head of {head.file} (entry {head.seq:,}, {head.at}, signature "
                       f"{head.signature}{f' by key {head.key_id}' if head.key_id else ''}); "
                       f"{head.appended_since:,} entries appended since")
        out += self.notes
        if self.intact and not self.rewrite_ruled_out:
            why = ("no signing key to check signatures with (--key, $PATROLI_SIGNING_KEY)" if self.key_id is None
                   else "no head signed with key " + self.key_id + " was given (--against FILE: an evidence export, "
                   "report or patrol log)")
            out.append(f"cannot rule out a rewrite: {why}; someone with write access to the database could have "
                       f"rewritten the whole chain consistently")
        return out


def _heads_in_lines(lines: Iterable[str], where: str) -> Iterator[Head]:
    """Heads in JSON lines: the `chain_head` of each line that has one (a patrol log), or a one-line head."""
    for number, line in enumerate(lines, 1):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and isinstance(data.get("chain_head"), dict):
            yield Head.from_dict(data["chain_head"], f"{where}:{number}")
        elif isinstance(data, dict) and {"seq", "sha256", "at"} <= set(data):
            yield Head.from_dict(data, f"{where}:{number}")


def _heads_in_text(text: str, where: str) -> Iterator[Head]:
    """Heads in a whole JSON document, an HTML page or a CSV table."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return
        if isinstance(data, dict) and isinstance(data.get("chain_head"), dict):
            yield Head.from_dict(data["chain_head"], where)
        elif isinstance(data, dict) and {"seq", "sha256", "at"} <= set(data):
            yield Head.from_dict(data, where)
        return
    if stripped.startswith(("<!DOCTYPE", "<html")):
        for match in _HTML_HEAD.finditer(text):
            yield Head.from_dict(json.loads(html.unescape(match.group(1))), where)
        return
    reader = csv.DictReader(text.splitlines())
    if reader.fieldnames and {"seq", "sha256", "at"} <= set(reader.fieldnames):
        for row in reader:
            yield Head.from_dict(row, where)


def _heads_in_file(path: Path) -> list[Head]:
    with path.open(encoding="utf-8") as fh:
        first = fh.readline()
        try:
            one_line = isinstance(json.loads(first), dict)
        except ValueError:
            one_line = False
        if one_line:  # JSON lines, e.g. a patrol log: streamed, however long it has grown
            return list(_heads_in_lines(itertools.chain([first], fh), str(path)))
        return list(_heads_in_text(first + fh.read(), str(path)))


def read_heads(path: str | os.PathLike[str]) -> list[tuple[str, Head]]:
    """The chain heads in a file (evidence.head.json, an evidence or report HTML page, a JSON report, a report's
    chain_head.csv, a patrol log) or in the files of a directory (an export or CSV report). InputError if none."""
    target = Path(path)
    files = sorted(p for p in target.iterdir() if p.is_file()) if target.is_dir() else [target]
    found: list[tuple[str, Head]] = []
    for file in files:
        try:
            found += [(str(file), head) for head in _heads_in_file(file)]
        except FileNotFoundError as err:
            raise InputError(f"--against {file}: no such file") from err
        except (OSError, UnicodeDecodeError):
            if not target.is_dir():
                raise InputError(f"--against {file}: cannot read it as text") from None
    unique = list({(head.seq, head.sha256, head.at, head.signature): (name, head) for name, head in found}.values())
    if not unique:
        raise InputError(f"--against {target}: no chain head found (give an evidence export, a report or a patrol log)")
    return unique


def check(store: StoreLike = None, against: Iterable[str | os.PathLike[str]] = (),
          key: str | os.PathLike[str] | None = None) -> Verification:
    """Verify the database's evidence and, for each file in `against`, that the chain still contains the head that
    file carries, signed with the trusted key (`key`: a public or private key file; default the configured
    signing key). See `Verification`."""
    heads = [found for path in against for found in read_heads(path)]
    public = load_public(key)
    with opened(store) as st, st.transaction("cannot verify") as conn:
        result = evidence.verify(conn, at=[head.seq for _, head in heads])
        length, sha = result.head
        rows, problems = [], list(result.problems)
        for name, head in heads:
            stored = ledger.GENESIS if head.seq == 0 else result.at.get(head.seq)
            signature = head.check(public)
            rows.append({"file": name, "seq": head.seq, "sha256": head.sha256, "at": head.at,
                         "key_id": head.key_id, "signature": signature, "in_chain": stored == head.sha256,
                         "appended_since": sum(ledger.since(conn, head.seq).values()) if stored else 0})
            if head.seq > length:
                problems.append(_problem(f"the chain has {length:,} entries but the head in {name} has {head.seq:,}: "
                                         f"entries were removed", head.seq, length))
            elif stored != head.sha256:
                problems.append(_problem(f"the chain differs from the head in {name} at entry {head.seq:,}: "
                                         f"entries up to it were changed or removed", head.sha256, stored))
            if signature == "INVALID":
                problems.append(_problem(f"the signature of the head in {name} does not verify: the head was "
                                         f"altered", None, None))
    notes = []
    if any(row["signature"] == "other key" for row in rows):
        notes.append("note: some heads were signed with another key than the one checked against; give it with --key")
    # Nullable integers: a problem of no post (a head's) beside a post's must not turn the ids into floats.
    frame = pd.DataFrame(problems, columns=list(evidence.PROBLEM_COLUMNS)).astype({"post": "Int64", "item_id": "Int64"})
    return Verification(frame,
                        pd.DataFrame(rows, columns=list(HEAD_COLUMNS)), length, sha,
                        None if public is None else key_id(public), notes)


def _problem(text: str, expected: Any, found: Any) -> dict[str, Any]:
    return {"post": None, "item_id": None, "platform": None, "post_id": None, "problem": text,
            "expected": expected, "found": found}


def verify(store: StoreLike = None, against: Iterable[str | os.PathLike[str]] = (),
           key: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Re-check evidence integrity; one row per problem found (empty: intact). See `check` for the details.

    Columns: post, item_id (nullable integers: missing for posts never enqueued and for chain problems), platform,
    post_id, problem, expected, found.
    """
    return check(store, against, key).problems
