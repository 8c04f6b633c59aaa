"""Known-claim loading, matching, thresholds and the hoax-score combination (pipeline.claims)."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.feature_extraction.text import HashingVectorizer

from pipeline.claims import (
    CLAIM_COLUMNS,
    DEFAULT_MATCH,
    DEFAULT_SUGGEST,
    ClaimIndex,
    combine_hoax,
    read_claims,
)
from pipeline.claims._text import normalize_claim_text
from pipeline.claims._vectors import HashedTfidf, TwoStageSearch, VectorSpec, _hashed_column
from pipeline.claims.evaluate import evaluate_claim_matching, perturbations
from pipeline.claims.index import threshold_for_rate
from pipeline.config import SAMPLES_DIR
from pipeline.errors import InputError

SAMPLE_CSV = SAMPLES_DIR / "claims.csv"
SAMPLE_JSONLD = SAMPLES_DIR / "claims_review.jsonld"

ORDINARY = [
    "Selamat pagi semua, hari ini cerah banget, enaknya jalan-jalan ke taman kota sama anak-anak.",
    "Mantap timnas menang 2-0 tadi malam, gol keduanya keren banget!!",
    "ada yg tau bengkel motor yg bagus di daerah Depok? motor sy mogok terus nih",
    "Lagi antri beli martabak manis, rame banget malam minggu gini 😅",
    "Selamat ulang tahun ya kak, semoga sehat selalu dan makin sukses kerjanya",
    "Macet parah di tol dalam kota, udah sejam gak gerak sama sekali",
    "Resep rendang ibu memang paling enak, gak ada lawan pokoknya",
    "Besok ujian matematika, doakan lancar ya teman-teman",
]


@pytest.fixture(scope="module")
def sample_claims() -> pd.DataFrame:
    return pd.concat([read_claims(SAMPLE_CSV), read_claims(SAMPLE_JSONLD)], ignore_index=True)


@pytest.fixture(scope="module")
def index(sample_claims: pd.DataFrame) -> ClaimIndex:
    return ClaimIndex(sample_claims)


# --- loading -------------------------------------------------------------------------------------------------

def test_sample_csv_reads_clean() -> None:
    frame = read_claims(SAMPLE_CSV)
    assert list(frame.columns) == list(CLAIM_COLUMNS)
    assert 20 <= len(frame) <= 40 and frame["claim_id"].is_unique
    assert frame.attrs["problems"] == []
    assert frame.loc[0, "date"] == "2026-10-03" and frame.loc[0, "source"] == "claims.csv"
    assert frame.loc[1, "narrative"] is None  # empty cell -> None
    assert (frame["title"] == frame["text"]).all()


def test_claim_review_jsonld_mapping() -> None:
    frame = read_claims(SAMPLE_JSONLD).set_index("claim_id")
    assert len(frame) == 4  # the Organization node of the @graph is not a claim
    gas = frame.loc["CR-2026-101"]
    assert gas["text"].startswith("Tabung gas elpiji 3 kg akan meledak")
    assert gas["title"].startswith("[SALAH]") and gas["verdict"] == "Salah"
    assert gas["url"] == "https://cekfakta.example/2026/11/gas-elpiji-meledak-panas"
    assert gas["date"] == "2026-11-09" and gas["source"] == "Cek Fakta Contoh"
    assert gas["narrative"].startswith("Awas! Tabung gas melon")
    assert frame.loc["CR-2026-102", "date"] == "2026-11-16"  # a datetime becomes its date
    assert "CR-2026-104" in frame.index  # identifier given as a PropertyValue
    hashed = [c for c in frame.index if c.startswith("cr-")]
    assert len(hashed) == 1 and frame.loc[hashed[0], "verdict"] == "Menyesatkan"
    assert read_claims(SAMPLE_JSONLD).equals(read_claims(SAMPLE_JSONLD))  # the url hash is stable


REVIEW = {"@type": "ClaimReview", "identifier": "X1", "url": "https://cek.example/x1", "datePublished": "2026-01-02",
          "claimReviewed": "Bulan purnama menyebabkan gempa bumi", "reviewRating": {"alternateName": "Salah"}}


@pytest.mark.parametrize("doc", [REVIEW, [REVIEW], {"@context": "https://schema.org", "@graph": [REVIEW]}],
                         ids=["object", "list", "graph"])
def test_claim_review_shapes(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "review.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    frame = read_claims(path)
    assert frame[["claim_id", "text", "verdict", "date"]].values.tolist() == [
        ["X1", "Bulan purnama menyebabkan gempa bumi", "Salah", "2026-01-02"]]


def test_malformed_csv_rows_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    path.write_text(
        "claim_id,text,verdict,url\n"
        'A1,"Klaim pertama, dengan koma\ndan baris kedua",Salah,https://cek.example/a1\n'  # lines 2-3
        "A2,Klaim kedua,Salah\n"  # line 4: three fields
        ",Klaim tanpa id,Salah,https://cek.example/x\n"  # line 5
        "A3,,Salah,https://cek.example/a3\n"  # line 6
        "\n"
        "A4,Klaim keempat,Hoaks,https://cek.example/a4\n",  # line 8
        encoding="utf-8")
    seen: list[str] = []
    frame = read_claims(path, on_problem=seen.append)
    assert frame["claim_id"].tolist() == ["A1", "A4"]
    assert frame.loc[0, "text"] == "Klaim pertama, dengan koma\ndan baris kedua"
    assert seen == frame.attrs["problems"]
    assert [m.split(": ")[0] for m in seen] == ["claims.csv:4", "claims.csv:5", "claims.csv:6"]
    assert seen[0] == "claims.csv:4: expected 4 fields, got 3" and "claim_id" in seen[1] and "text" in seen[2]


def test_a_quote_never_closed_costs_one_claim_not_the_rest_of_the_file(tmp_path: Path) -> None:
    """Parsed as a scan parses CSV: the quote opened on line 4 would swallow every later line into one field."""
    rows = ["claim_id;text;verdict"] + [f"K{i};Klaim palsu nomor {i} tentang vaksin;Salah" for i in range(1, 101)]
    rows[3] = 'K3;"Klaim dengan kutip yang tidak ditutup;Salah'
    path = tmp_path / "klaim.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    seen: list[str] = []
    frame = read_claims(path, on_problem=seen.append)
    assert frame["claim_id"].tolist() == [f"K{i}" for i in range(1, 101) if i != 3]
    assert seen == ["klaim.csv:4: unclosed quote: the quoted field opened here runs to the end of the file "
                    "(98 lines); line skipped"]


def test_malformed_jsonl_lines_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "claims.jsonl"
    lines = [json.dumps({"claim_id": "J1", "text": "Klaim satu"}), "{not json", json.dumps(["a list"]),
             json.dumps({"claim_id": "J2"}), json.dumps(REVIEW)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    frame = read_claims(path, on_problem=lambda _: None)
    assert frame["claim_id"].tolist() == ["J1", "X1"]
    assert [m.split(": ")[0] for m in frame.attrs["problems"]] == ["claims.jsonl:2", "claims.jsonl:3",
                                                                   "claims.jsonl:4"]


@pytest.mark.parametrize("name,content,message", [
    ("missing.csv", None, "cannot read claims file"),
    ("nocol.csv", "id,verdict\nA,Salah\n", "missing column(s) text"),
    ("latin1.csv", "claim_id,text\nA,caf\xe9\n".encode("latin-1"), "cannot read claims file"),
    ("bad.jsonld", '{"@graph": [', "bad JSON at line 1"),
    ("none.json", '{"@type": "WebPage"}', "no ClaimReview items"),
    ("empty.csv", "", "is empty"),
])
def test_unreadable_inputs_raise_one_line_input_error(tmp_path: Path, name: str, content: object,
                                                      message: str) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_claims(path)
    assert "\n" not in str(info.value)


# --- matching ------------------------------------------------------------------------------------------------

ROBUST = [
    ("CK-0005", "Assalamualaikum, info dari grup sebelah… Vaksin booster terbaru mengandung microchip pelacak. "
                "Sebarkan!"),
    ("CK-0004", "BMKG merahasiakan tsunami setinggi 15 meter"),  # truncated
    ("CK-0004", "Segera mengungsi ke tempat tinggi. BMKG sudah tahu tetapi dirahasiakan supaya warga tidak panik. "
                "Malam ini jam 23.00 WIB akan terjadi tsunami setinggi 15 meter di pesisir selatan Jawa."),  # reordered
    ("CK-0010", "minyak goreng curah d pasar jatim skrg dicampur oli bekassss!!! hati2 bu ibu"),  # slang
    ("CK-0013", "jgn mkn mi instan sambil minum soda, bisa mati mendadak lho, udah byk korbannya"),
    ("CK-0030", "Tolong share ke grup keluarga: tukang bakso keliling pakai daging tikus + boraks, "
                "ciri2nya kuahnya bening banget. Kasihan anak2 kita. Semoga bermanfaat"),
    ("CR-2026-101", "Awas tabung gas melon 3 kg jangan dijemur lama2 bisa meledak sendiri"),
    ("CK-0008", "PENGUMUMAN!! bagi2 bantuan tunai Rp 3.500.000 utk semua pemilik KTP, daftar lewat link "
                "http://bantuan.example/daftar sebelum kuota habis"),
]


@pytest.mark.parametrize("claim_id,post", ROBUST)
def test_forwarded_variants_match_their_claim(index: ClaimIndex, claim_id: str, post: str) -> None:
    best = index.match([post], k=3)[0][0]
    assert best.claim_id == claim_id
    assert best.similarity >= index.suggest_threshold


def test_loose_paraphrase_still_ranks_its_claim_first(index: ClaimIndex) -> None:
    # few shared words: found, but (rightly) not confident enough to be shown as a suggestion
    post = "Copas dari grup: ada temen kerja di lab, katanya booster yg baru ada mikrochip pelacaknya 😱"
    best = index.match([post], k=1)[0][0]
    assert best.claim_id == "CK-0005" and best.level == "below"


@pytest.mark.parametrize("name", sorted(perturbations()))
def test_generated_perturbations_of_narratives_match(index: ClaimIndex, sample_claims: pd.DataFrame,
                                                    name: str) -> None:
    with_narrative = sample_claims.dropna(subset=["narrative"])
    change = perturbations(seed=1)[name]
    posts = [change(t) for t in with_narrative["narrative"]]
    found = [ms[0].claim_id for ms in index.match(posts, k=1)]
    assert found == with_narrative["claim_id"].tolist()


@pytest.mark.parametrize("text", ORDINARY)
def test_unrelated_ordinary_posts_stay_below_suggest(index: ClaimIndex, text: str) -> None:
    assert index.best_matches([text]) == [None]
    ids, sims = index.search([text], 1)
    assert sims[0, 0] < index.suggest_threshold


def test_match_frame_and_levels(index: ClaimIndex) -> None:
    posts = [ROBUST[0][1], ORDINARY[0], ""]
    frame = index.match(posts, k=3, as_frame=True)
    assert list(frame.columns) == ["post", "rank", "claim_id", "title", "url", "verdict", "similarity", "level"]
    first = frame[frame["post"] == 0]
    assert first["rank"].tolist() == [1, 2, 3] and first["similarity"].is_monotonic_decreasing
    assert first.iloc[0]["level"] == "match" and first.iloc[0]["verdict"] == "Salah"
    assert frame[frame["post"] == 2].empty  # an empty post matches nothing
    assert set(frame["level"]) <= {"match", "suggest", "below"}
    best = index.best_matches(posts)
    assert best[0] is not None and best[1] is None and best[2] is None
    evidence = best[0].as_evidence()
    assert set(evidence) == {"claim_id", "title", "url", "verdict", "similarity", "level"}
    json.dumps(evidence)


def test_more_k_than_claims_and_batches(sample_claims: pd.DataFrame) -> None:
    small = ClaimIndex(sample_claims.head(3), batch_size=2)
    ids, sims = small.search([ROBUST[2][1]] * 5, k=10)
    assert ids.shape == (5, 3) and (ids[:, 0] == ids[0, 0]).all()
    assert np.all(np.diff(sims, axis=1) <= 1e-12)


def test_index_survives_pickle_and_joblib(index: ClaimIndex, tmp_path: Path) -> None:
    posts = [p for _, p in ROBUST] + ORDINARY
    expected = index.search(posts, 5)
    for copy in (pickle.loads(pickle.dumps(index)), joblib.load(joblib.dump(index, tmp_path / "ix.joblib")[0])):
        ids, sims = copy.search(posts, 5)
        assert np.array_equal(ids, expected[0]) and np.allclose(sims, expected[1])
        assert copy.thresholds == index.thresholds


def test_claim_rows_need_ids_and_text() -> None:
    with pytest.raises(InputError):
        ClaimIndex(pd.DataFrame({"text": ["a"]}))
    with pytest.raises(InputError):
        ClaimIndex(pd.DataFrame({"claim_id": ["a"], "text": [None]}))


@pytest.mark.parametrize("text,expected", [
    ("RT @warga_01: Pertama, serta BERTAHAN!!", "pertama serta bertahan"),
    ("Rt. 05 rt/rw user USER", "05 rw"),
    ("kartu2 bansos cairrr bangeeet yg baru", "kartu bansos cair banget yang baru"),
    ("Info dari grup sebelah: sebarkan ke keluarga", ""),
    ("Café naïve_kata https://x.example/a?b=1 www.y.example url", "cafe naive kata"),
    ("literal \\n escapes \\xf0\\x9f and ſrt", "literal escapes and srt"),
])
def test_claim_text_normalisation(text: str, expected: str) -> None:
    assert normalize_claim_text(text) == expected


def _sklearn_hashers(spec: VectorSpec) -> tuple[HashingVectorizer, HashingVectorizer]:
    """scikit-learn's own vectorizers for the char and word blocks of `spec`: the reference the claim vectors
    follow."""
    common = dict(n_features=spec.n_features, alternate_sign=False, norm=None, lowercase=False, dtype=np.float32)
    return (HashingVectorizer(analyzer="char_wb", ngram_range=spec.char_ngrams, **common),
            HashingVectorizer(analyzer="word", ngram_range=spec.word_ngrams, token_pattern=r"\b\w+\b", **common))


def test_hashed_columns_are_sklearns() -> None:
    grams = ["", " ", "a", " ab", "kata ", "é", "日本語", "👍🏻", "\x00x", "a b", *(f"kata{i}" for i in range(20_000))]
    for n_features in (2**20, 2**16, 1000):
        hasher = HashingVectorizer(analyzer=lambda gram: [gram], n_features=n_features, alternate_sign=False,
                                   norm=None)
        expected = hasher.transform(grams).tocsr()
        assert [_hashed_column(gram, n_features) for gram in grams] == expected.indices.tolist()


@pytest.mark.parametrize("odd", [False, True])
def test_cached_counts_of_spans_equal_sklearns_hashing(odd: bool) -> None:
    rng = np.random.default_rng(5)
    words = [f"kata{i}" for i in range(300)] + ["yang", "di", "aaa", "a", "19"]
    texts = ["", "satu", "ulang ulang ulang"] + [" ".join(rng.choice(words, size=rng.integers(0, 40)))
                                                 for _ in range(2_500)]  # more rows than one counting block
    if odd:  # text as normalize_claim_text never leaves it: counted by the vectorizers themselves
        texts.append("Kata,  lain!  kata_lain")
    spans = [(i, 0, len(t.split())) for i, t in enumerate(texts)]
    for i, text in enumerate(texts[:300]):
        n = len(text.split())
        first = int(rng.integers(0, n + 1))
        spans.append((i, first, int(rng.integers(first, n + 3))))  # an end past the last word is cut there
    joined = [" ".join(texts[i].split()[first:end]) for i, first, end in spans]
    vec = HashedTfidf(VectorSpec())
    char, word = _sklearn_hashers(vec.spec)
    for _ in range(2):  # with empty caches, then with full ones
        got = vec._counts(texts, spans)
        for counts, expected in zip(got, (char.transform(joined), word.transform(joined)), strict=True):
            assert counts.dtype == expected.dtype and counts.shape == expected.shape
            assert np.array_equal(counts.indptr, expected.indptr)
            assert np.array_equal(counts.indices, expected.indices)
            assert np.array_equal(counts.data, expected.data)


def test_two_stage_search_equals_brute_force() -> None:
    rng = np.random.default_rng(3)
    words = [f"kata{i}" for i in range(60)] + ["yang", "di", "dan", "ini", "itu"] * 8
    claims = [" ".join(rng.choice(words, size=rng.integers(4, 12))) for _ in range(400)]
    posts = [" ".join(rng.choice(words, size=rng.integers(3, 30))) for _ in range(50)]
    vec = HashedTfidf(VectorSpec(n_features=2**16))
    C = vec.fit_transform(claims)
    Q = vec.transform(posts)
    exact = (Q @ C.T).toarray()
    everything = TwoStageSearch(C, vec.df_, common_df_min=10**6)
    ids, sims = everything.top(Q, 5)
    assert np.allclose(sims, -np.sort(-exact, axis=1)[:, :5], atol=1e-5)
    two_stage = TwoStageSearch(C, vec.df_, common_df_min=5, n_candidates=400)
    assert len(two_stage.common_cols_) > 50  # the frequent-feature stage is really exercised
    ids, sims = two_stage.top(Q, 5)
    found = ids >= 0
    assert np.allclose(np.take_along_axis(exact, ids.clip(0), axis=1)[found], sims[found], atol=1e-5)  # exact
    # candidates are the claims sharing at least one rare feature with the post (0.0 pads when fewer)
    rare = (Q @ two_stage.rare_T_).toarray() > 0
    reachable = np.where(rare, exact, 0.0)
    assert np.allclose(sims, -np.sort(-reachable, axis=1)[:, :5], atol=1e-5)
    assert (~found).any() and np.all(sims[~found] == 0.0)


def test_a_floor_leaves_out_only_candidates_below_it() -> None:
    rng = np.random.default_rng(3)
    words = [f"kata{i}" for i in range(1500)] + ["yang", "di", "dan", "ini", "itu"] * 40
    claims = [" ".join(rng.choice(words, size=rng.integers(4, 12))) for _ in range(400)]
    posts = [" ".join(rng.choice(words, size=rng.integers(3, 30))) for _ in range(40)]
    posts += [f"{claim} yang di {' '.join(rng.choice(words, size=5))}" for claim in claims[:10]]
    vec = HashedTfidf(VectorSpec(n_features=2**16))
    C = vec.fit_transform(claims)
    Q = vec.transform(posts)
    search = TwoStageSearch(C, vec.df_, common_df_min=5, n_candidates=400)
    every_ids, every_sims = search.top(Q, 400)
    floor = 0.3
    ids, sims = search.top(Q, 400, floor=floor)
    for row in range(len(posts)):
        above = {(c, s) for c, s in zip(every_ids[row], every_sims[row], strict=True) if s >= floor}
        assert above == {(c, s) for c, s in zip(ids[row], sims[row], strict=True) if s >= floor}
    assert (every_sims >= floor).sum() >= 10  # the posts quoting a claim
    assert (ids >= 0).sum() < (every_ids >= 0).sum() / 2  # most candidates below the floor were never computed


# --- thresholds and the hoax score -----------------------------------------------------------------------------

def test_threshold_for_rate() -> None:
    values = np.arange(1000) / 1000
    t = threshold_for_rate(values, 0.005)
    assert (values >= t).sum() == 5
    assert threshold_for_rate(values, 0.0) > values.max()


def test_calibrate_sets_thresholds_from_ordinary_posts(sample_claims: pd.DataFrame) -> None:
    ix = ClaimIndex(sample_claims)
    assert ix.thresholds == {"suggest": DEFAULT_SUGGEST, "match": DEFAULT_MATCH}
    got = ix.calibrate(ORDINARY * 5, false_match_rate=0.0, false_suggest_rate=0.25, minimum=0.0)
    best = ix.search(ORDINARY, 1)[1][:, 0]
    assert got["match"] > best.max() and got["suggest"] <= got["match"]
    assert (best >= got["suggest"]).mean() <= 0.25
    with pytest.raises(InputError):
        ix.calibrate([])


def test_combine_hoax_properties() -> None:
    p = np.linspace(0, 1, 21)[:, None]
    s = np.linspace(0, 1, 101)[None, :]
    out = combine_hoax(p, s)
    assert out.shape == (21, 101) and np.all((out >= 0) & (out <= 1))
    assert np.all(out >= p - 1e-12)
    assert np.all(np.diff(out, axis=1) >= -1e-12) and np.all(np.diff(out, axis=0) >= -1e-12)
    below = s[0] < DEFAULT_SUGGEST
    assert np.allclose(out[:, below], np.broadcast_to(p, out.shape)[:, below])
    assert np.all(out[:, s[0] >= DEFAULT_MATCH] >= 0.8)
    band = (s[0] >= DEFAULT_SUGGEST) & (s[0] < DEFAULT_MATCH)
    assert np.all(out[:, band] <= p + (1 - p) * 0.25 + 1e-12)  # only a mild raise between the thresholds
    assert combine_hoax(0.1, 1.0) == pytest.approx(1.0)
    assert isinstance(combine_hoax(0.2, 0.1), float) and combine_hoax(0.2, 0.1) == pytest.approx(0.2)
    assert combine_hoax(0.3, float("nan")) == pytest.approx(0.3)
    assert combine_hoax(0.3, 0.5, suggest=0.6, match=0.9) == pytest.approx(0.3)


@pytest.mark.parametrize("flag_threshold", [0.5, 0.89, 0.95])
def test_a_match_alone_reaches_the_flag_threshold(flag_threshold: float) -> None:
    s = np.array([DEFAULT_MATCH, 0.6, 1.0])
    out = combine_hoax(np.zeros(3), s, flag_threshold=flag_threshold)
    assert np.all(out >= max(flag_threshold, 0.8)) and out[0] == pytest.approx(max(flag_threshold, 0.8))
    assert combine_hoax(0.0, DEFAULT_MATCH - 1e-6, flag_threshold=flag_threshold) < flag_threshold


def test_index_combine_uses_its_own_thresholds(sample_claims: pd.DataFrame) -> None:
    ix = ClaimIndex(sample_claims, suggest=0.5, match=0.7)
    assert ix.combine_hoax(0.1, 0.45) == pytest.approx(0.1)
    assert ix.combine_hoax(0.1, 0.7) == pytest.approx(0.8)
    assert np.allclose(ix.combine_hoax(np.array([0.1, 0.9]), np.array([0.0, 0.9])), [0.1, 0.9333333])
    assert ix.combine_hoax(0.1, 0.7, flag_threshold=0.9) == pytest.approx(0.9)


# --- the third-party data (read in place) -----------------------------------------------------------------------

DATA_DIR = Path(os.environ.get("PATROLI_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
needs_data = pytest.mark.skipif(not (DATA_DIR / "hoax_news2020").is_dir(), reason=f"no data at {DATA_DIR}")


@pytest.fixture(scope="module")
def evaluation() -> dict:
    return evaluate_claim_matching(DATA_DIR, robustness_posts=400)


@needs_data
def test_recall_and_false_matches_on_real_data(evaluation: dict) -> None:
    rec, fm = evaluation["recall"], evaluation["false_match"]
    # measured 0.719 / 0.818 on the test half (baseline 0.685 / 0.785); the 0.90 target is not reached
    assert rec["index_test"]["recall_at_1"] >= 0.70
    assert rec["index_test"]["recall_at_5"] >= 0.80
    assert rec["index_test"]["recall_at_1"] >= rec["baseline_test"]["recall_at_1"] + 0.02
    assert fm["held_out_rate_at_match"] <= 0.0075  # chosen for 0.5% on the other half of the tweets
    assert fm["held_out_rate_at_suggest"] <= 0.065
    rob = evaluation["robustness"]
    for name, r in rob.items():
        assert r["index_r1"] >= r["baseline_r1"] - 0.01, name
        assert r["index_with_narratives_r1"] >= 0.95, name


def test_best_matches_are_the_best_of_the_full_search(index: ClaimIndex, sample_claims: pd.DataFrame) -> None:
    # long posts (scored by windows too) made of claims and chatter, and short ones
    texts = sample_claims["text"].tolist()
    posts = [" ".join([*ORDINARY[i % len(ORDINARY):][:2], texts[i], ORDINARY[(i + 3) % len(ORDINARY)]])
             for i in range(len(texts))] + ORDINARY + [t[: len(t) // 2] for t in texts]
    ids, sims = index.search(posts, 1)
    expected = [(index.claim_ids[c], round(float(s), 6)) if s >= index.suggest_threshold else None
                for c, s in zip(ids[:, 0], sims[:, 0], strict=True)]
    got = [(m.claim_id, m.similarity) if m is not None else None for m in index.best_matches(posts)]
    assert got == expected
    assert any(m is None for m in got) and sum(m is not None for m in got) > len(texts)


def test_search_returns_more_than_the_candidate_pool_when_asked() -> None:
    towns = ["Bekasi", "Bogor", "Depok", "Medan", "Padang", "Malang", "Solo", "Kupang", "Ambon", "Manado"]
    texts = [f"Vaksin palsu beredar di {towns[i % 10]} nomor {i}" for i in range(45)]
    texts += [f"Harga beras naik di {towns[i % 10]} nomor {i}" for i in range(155)]
    index = ClaimIndex(pd.DataFrame({"claim_id": [f"c{i}" for i in range(200)], "text": texts}), n_candidates=20)
    ids, sims = index.search(["vaksin palsu beredar"], k=40)
    assert (ids[0] >= 0).sum() == 40
    assert set(ids[0].tolist()) <= set(range(45))
    assert len(set(ids[0].tolist())) == 40
    assert np.all(np.diff(sims[0]) <= 0)
