"""Ed25519 signing keys kept outside the database, and the signed head of the evidence chain.

A `Head` names a point of the database's one global hash chain (`store.ledger`): its length `seq` and the SHA-256
of its last entry. Signed with a key the database never sees, and copied into exports, reports and patrol logs, it
lets `patroli review verify --against FILE` prove later that nothing covered up to that point was changed or removed
(re-computing the chain after an edit gives another head, and the key is needed to sign that one).

Key files are PEM: the private key (PKCS#8, mode 0600) and `<key>.pub` (SubjectPublicKeyInfo) beside it. The path
is given explicitly, else `$PATROLI_SIGNING_KEY`, else `~/.config/patroli/signing.key` (`$XDG_CONFIG_HOME`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from pipeline.errors import ConfigError, InputError

#: Names the chain format a head belongs to; part of what is signed.
CHAIN_FORMAT = "patroli-ledger-1"
KEY_ENV = "PATROLI_SIGNING_KEY"
#: The HTML attribute by which a page carries a chain head (its `to_json()`, HTML-escaped) for `verify --against`.
HTML_ATTRIBUTE = "data-patroli-chain-head"


def default_key_path() -> Path:
    """`$XDG_CONFIG_HOME/patroli/signing.key` (`~/.config/...` without XDG_CONFIG_HOME)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "patroli" / "signing.key"


def key_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Where the signing key is: the argument, else `$PATROLI_SIGNING_KEY`, else `default_key_path()`."""
    value = explicit or os.environ.get(KEY_ENV)
    return Path(value).expanduser() if value else default_key_path()


def key_id(public: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_path(path: Path) -> Path:
    return path.with_name(path.name + ".pub")


def create_key(path: str | os.PathLike[str] | None = None, *, force: bool = False) -> tuple[Path, str]:
    """Generate a new key at `path` (see `key_path`) and its public half at `<path>.pub`; return (path, key id).

    Refuses (ConfigError) to replace an existing key unless `force`: heads signed with a lost key can no longer be
    checked against it.
    """
    target = key_path(path)
    if target.exists() and not force:
        raise ConfigError(f"a signing key already exists at {target}; keep it (heads signed with it need it to be "
                          f"checked) or pass --force to replace it")
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        os.replace(tmp, target)
        public_path(target).write_bytes(private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    except OSError as err:
        raise ConfigError(f"cannot write signing key {target}: {err.strerror or err}") from err
    return target, key_id(private.public_key())


def _read_pem(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read key {path}: {err.strerror or err}") from err


def load_private(path: str | os.PathLike[str] | None = None, *, required: bool = False) -> Ed25519PrivateKey | None:
    """The signing key at `key_path(path)`; None when there is none and it was not asked for by name or
    `required`. ConfigError for an unreadable file or one that is not an Ed25519 private key."""
    target = key_path(path)
    if not target.exists():
        if required or path is not None or os.environ.get(KEY_ENV):
            raise ConfigError(f"no signing key at {target}; create one with `patroli keys init`")
        return None
    try:
        key = serialization.load_pem_private_key(_read_pem(target), password=None)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{target} is not a readable PEM private key") from err
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{target} is not an Ed25519 key")
    return key


def load_public(path: str | os.PathLike[str] | None = None) -> Ed25519PublicKey | None:
    """The public key to check signatures with: from a public (.pub) or private key file at `path`, else from the
    configured signing key (None when there is none)."""
    if path is None:
        private = load_private(None)
        return None if private is None else private.public_key()
    target = Path(path).expanduser()
    pem = _read_pem(target)
    try:
        if b"PRIVATE KEY" in pem:
            key: Any = serialization.load_pem_private_key(pem, password=None).public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as err:
        raise ConfigError(f"{target} is not a readable PEM key") from err
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{target} is not an Ed25519 key")
    return key


@dataclass(frozen=True)
class Head:
    """A point of the evidence chain: `seq` entries, the last one's SHA-256, when it was read, and (when signed) the
    key id and the base64 Ed25519 signature of `message()`."""

    seq: int
    sha256: str
    at: str
    key_id: str | None = None
    signature: str | None = None
    chain: str = CHAIN_FORMAT

    def message(self) -> bytes:
        """What is signed: the chain format, the length, the head hash and the time, one per line."""
        return f"{self.chain}\n{self.seq}\n{self.sha256}\n{self.at}\n".encode()

    def signed(self, key: Ed25519PrivateKey | None) -> Head:
        """This head signed with `key` (unchanged without a key)."""
        if key is None:
            return self
        signature = base64.b64encode(key.sign(self.message())).decode("ascii")
        return replace(self, key_id=key_id(key.public_key()), signature=signature)

    def check(self, public: Ed25519PublicKey | None) -> str:
        """'valid', 'unsigned', 'no key' (signed, but no public key to check it with), 'other key' (signed with a
        key other than `public`) or 'INVALID'."""
        if not self.signature:
            return "unsigned"
        if public is None:
            return "no key"
        if self.key_id != key_id(public):
            return "other key"
        try:
            public.verify(base64.b64decode(self.signature, validate=True), self.message())
        except (InvalidSignature, ValueError):
            return "INVALID"
        return "valid"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    def describe(self) -> str:
        """One line for people: where the chain stood and who signed it."""
        signed = f"signed with key {self.key_id}" if self.signature else "NOT signed (no signing key configured)"
        return f"evidence chain head at {self.at}: entry {self.seq:,}, SHA-256 {self.sha256}, {signed}"

    @classmethod
    def from_dict(cls, data: Any, where: str = "head") -> Head:
        """A head from its `to_dict()` form; InputError when it is not one."""
        if not isinstance(data, dict):
            raise InputError(f"{where}: not a chain head")
        try:
            seq = int(data["seq"])
            sha = str(data["sha256"])
            at = str(data["at"])
        except (KeyError, TypeError, ValueError) as err:
            raise InputError(f"{where}: not a chain head (needs seq, sha256, at)") from err
        if len(sha) != 64 or seq < 0:
            raise InputError(f"{where}: not a chain head (bad seq or sha256)")
        return cls(seq=seq, sha256=sha, at=at, key_id=data.get("key_id") or None,
                   signature=data.get("signature") or None, chain=str(data.get("chain") or CHAIN_FORMAT))


def new_head(seq: int, sha256: str, key: Ed25519PrivateKey | None = None) -> Head:
    """The head at (`seq`, `sha256`), stamped now, signed with `key` when given."""
    return Head(seq=seq, sha256=sha256, at=datetime.now(UTC).isoformat(timespec="seconds")).signed(key)
