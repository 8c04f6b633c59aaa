"""The evidence chain's head as it stands now, signed: what evidence exports, reports and patrol logs carry.

Kept apart from `Store` so that opening a database does not load the signing library: only the commands that
write a head import this module.
"""

from __future__ import annotations

from os import PathLike

from pipeline.signing import Head, load_private, new_head
from pipeline.store import ledger
from pipeline.store.core import Store


def chain_head(store: Store, signing_key: str | PathLike[str] | None = None) -> Head:
    """The evidence chain's head now, signed with the key at `signing_key` (default: the configured key, see
    `pipeline.signing.key_path`; unsigned when none is configured)."""
    key = load_private(signing_key)
    with store.transaction("cannot read the evidence chain") as conn:
        seq, sha = ledger.head(conn)
    return new_head(seq, sha, key)
