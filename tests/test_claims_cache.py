"""The claim index kept on disk between runs (pipeline.claims.cache): reused for the same claims, never for changed
ones, rebuilt when its file is damaged, and never required."""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd
import pytest

from pipeline.claims import claim_index, read_claims
from pipeline.claims.cache import KEEP, cache_dir
from pipeline.config import SAMPLES_DIR
from pipeline.store import Store

SAMPLE_CSV = SAMPLES_DIR / "claims.csv"


def saved() -> list[Path]:
    return sorted(cache_dir().glob("claims-*.joblib"))


@pytest.fixture
def store(db_url: str):
    with Store.open(db_url) as opened:
        opened.add_claims(read_claims(SAMPLE_CSV).to_dict(orient="records"))
        yield opened


def test_the_saved_index_is_reused_for_the_same_claims(store: Store) -> None:
    built = claim_index(store)
    assert built is not None and len(saved()) == 1
    # Mark the saved copy: only a loaded index carries the mark.
    marked = joblib.load(saved()[0])
    marked.match_threshold = 0.777
    joblib.dump(marked, saved()[0])
    again = claim_index(store)
    assert again is not None and again.match_threshold == 0.777
    assert [m.claim_id for m in again.best_matches(["vaksin mengandung chip"]) if m] == \
        [m.claim_id for m in built.best_matches(["vaksin mengandung chip"]) if m]


def test_any_import_makes_a_new_index(store: Store) -> None:
    first = claim_index(store)
    assert first is not None
    text = "Jembatan Suramadu ditutup permanen mulai bulan depan karena pondasinya retak parah"
    assert first.best_matches([text]) == [None]
    # A changed claim: same claim_id, new text.
    changed = read_claims(SAMPLE_CSV).iloc[[0]].assign(text=text, title=text)
    store.add_claims(changed.to_dict(orient="records"))
    second = claim_index(store)
    assert second is not None and len(second) == len(first)
    best = second.best_matches([text])[0]
    assert best is not None and best.claim_id == changed["claim_id"].iloc[0] and best.level == "match"
    # A new claim.
    extra = pd.DataFrame([{"claim_id": "NEW-1", "title": "Gempa besar pasti terjadi besok pagi di Jakarta"}])
    store.add_claims(extra.to_dict(orient="records"))
    third = claim_index(store)
    assert third is not None and len(third) == len(first) + 1
    assert len(saved()) == 3


def test_a_damaged_file_is_rebuilt(store: Store) -> None:
    claim_index(store)
    (path,) = saved()
    path.write_bytes(b"not a pickle")
    index = claim_index(store)
    assert index is not None and len(index) == 30
    assert joblib.load(path).claim_ids.tolist() == index.claim_ids.tolist()


def test_without_a_writable_cache_the_index_is_built_each_time(store: Store, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("PATROLI_CACHE_DIR", str(blocker / "cache"))
    index = claim_index(store)
    assert index is not None and len(index) == 30


def test_only_the_newest_files_are_kept(store: Store) -> None:
    for n in range(KEEP + 2):
        store.add_claims([{"claim_id": f"EXTRA-{n}", "title": f"klaim tambahan nomor {n} tentang banjir"}])
        assert claim_index(store) is not None
    assert len(saved()) == KEEP


def test_no_claims_no_index(db_url: str) -> None:
    with Store.open(db_url) as empty:
        assert claim_index(empty) is None
    assert saved() == []
