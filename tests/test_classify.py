from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import Pipeline

import pipeline
from pipeline.classify._features import _word_strings
from pipeline.classify._vocabulary import fit_features, fitted_vectorizer
from pipeline.classify.artifact import Model, load_model
from pipeline.classify.estimator import PatroliClassifier
from pipeline.config import SAMPLES_DIR
from pipeline.errors import ModelError
from pipeline.labels import LABELS

DATA_DIR = Path(os.environ.get("PATROLI_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
needs_data = pytest.mark.skipif(not (DATA_DIR / "ibrohim2019").exists(), reason=f"no dataset in {DATA_DIR}")
SMALL = {"min_df": 1, "calibration_folds": 3, "max_word_features": 5000, "max_char_features": 5000}


def sample_frame() -> pd.DataFrame:
    csv = pd.read_csv(SAMPLES_DIR / "posts.csv", keep_default_na=False)
    jsonl = pd.read_json(SAMPLES_DIR / "posts.jsonl", lines=True)
    csv["expected_labels"] = csv["expected_labels"].map(lambda s: [x for x in s.split(";") if x])
    frame = pd.concat([csv[["text", "expected_labels"]], jsonl[["text", "expected_labels"]]], ignore_index=True)
    for label in LABELS:
        frame[label] = frame["expected_labels"].map(lambda labels, lab=label: float(lab in labels))
    return frame


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return sample_frame()


def definition_rows(frame: pd.DataFrame) -> np.ndarray:
    """Every other sample stands in for the hand-written definition examples."""
    return np.arange(len(frame)) % 2 == 0


@pytest.fixture(scope="module")
def fitted(frame: pd.DataFrame) -> PatroliClassifier:
    return PatroliClassifier(**SMALL).fit(frame["text"].tolist(), frame, definition_rows=definition_rows(frame))


def test_sklearn_conventions(frame: pd.DataFrame, fitted: PatroliClassifier) -> None:
    unfitted = PatroliClassifier(C=3.0, **SMALL)
    assert not [k for k in vars(unfitted) if k.endswith("_")]  # __init__ only stores parameters
    cloned = clone(unfitted)
    assert cloned.get_params() == unfitted.get_params() and cloned is not unfitted
    texts = frame["text"].tolist()
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_allclose(restored.predict_proba(texts), fitted.predict_proba(texts))
    pipe = Pipeline([("clf", PatroliClassifier(**SMALL))]).fit(texts, frame)
    assert pipe.predict(texts).shape == (len(texts), len(LABELS))


def test_probabilities_are_calibrated_range_and_learn_the_labels(frame: pd.DataFrame,
                                                                 fitted: PatroliClassifier) -> None:
    proba = fitted.predict_proba(frame["text"].tolist())
    assert proba.shape == (len(frame), len(LABELS))
    assert ((proba >= 0) & (proba <= 1)).all()
    for j, label in enumerate(LABELS):
        positive = frame[label].to_numpy() == 1
        if positive.any():
            assert proba[positive, j].mean() > proba[~positive, j].mean(), label
    assert set(fitted.thresholds_) == set(LABELS)


def test_sara_sublabels_follow_the_groups_a_post_names(fitted: PatroliClassifier) -> None:
    texts = ["Usir orang Madura dari kampung ini!!", "Bakar gerejanya!!", "Dasar c1na, pulang sana", "Selamat pagi",
             "Bakar aja rumah rentenir itu, hajar sampai kapok!!"]
    proba = pd.DataFrame(fitted.predict_proba(texts), columns=list(LABELS))
    # SARA is hostility aimed at a group: a call to burn the house of someone who belongs to no SARA group is not
    assert proba.loc[4, "sara"] == 0 and proba.loc[4, "provocation"] > 0
    assert proba.loc[0, "sara_suku"] == proba.loc[0, "sara"] > 0 and proba.loc[0, "sara_agama"] == 0
    assert proba.loc[1, "sara_agama"] == proba.loc[1, "sara"] and proba.loc[1, "sara_suku"] == 0
    assert proba.loc[2, "sara_ras"] == proba.loc[2, "sara"]
    assert (proba.loc[3, ["sara_suku", "sara_agama", "sara_ras", "sara_antargolongan"]] == 0).all()
    assert {fitted.thresholds_[sub] for sub in ("sara_suku", "sara_agama", "sara_ras", "sara_antargolongan")} == {
        fitted.thresholds_["sara"]}


def test_missing_labels_are_left_out_of_that_labels_training(frame: pd.DataFrame) -> None:
    partial = frame.copy()
    partial.loc[: len(partial) // 3, "abusive"] = np.nan
    clf = PatroliClassifier(**SMALL).fit(partial["text"].tolist(), partial)
    rows, _ = clf.oof_["abusive"]
    assert len(rows) == partial["abusive"].notna().sum()
    assert len(clf.oof_["hoax"][0]) == len(partial)


def test_explain_names_the_posts_own_terms(fitted: PatroliClassifier) -> None:
    from pipeline.classify.explain import explain

    text = "Usir c1na dari negeri ini, dasar k4f1r b.a.b.i!!"
    terms = explain(fitted, text, "sara", top=5)
    targets = [term for term, _ in terms if term.startswith("target: ")]
    assert targets == ["target: etnis Tionghoa (ras)", "target: umat beragama lain (agama)"]
    words = [(term, weight) for term, weight in terms if not term.startswith("target: ")]
    assert words and all(weight > 0 for _, weight in words)
    normalized = fitted.analyzer_.normalizer.normalize(text).split()
    assert all(term in normalized and term not in ("cina", "kafir") for term, _ in words)
    assert explain(fitted, text, "sara_ras", top=5)[0][0] == "target: etnis Tionghoa (ras)"
    assert not any(t.startswith("target: ") for t, _ in explain(fitted, text, "abusive", top=5))
    # a post that names no group has no SARA evidence: its SARA probability is 0 whatever its words weigh
    untargeted = "Bakar aja rumah rentenir itu, hajar sampai kapok!!"
    assert explain(fitted, untargeted, "sara") == [] and explain(fitted, untargeted, "provocation")


def test_model_round_trip_and_sha_check(tmp_path: Path, fitted: PatroliClassifier) -> None:
    Model(fitted, {"version": "t1"}).save(tmp_path)
    model = load_model(tmp_path)
    assert model.version == "t1"
    scores = model.score(["Sebarkan! vaksin ada chipnya", "selamat pagi semua"])
    assert list(scores.columns) == list(LABELS) and (scores.dtypes == "float64").all()
    card = json.loads((tmp_path / "model_card.json").read_text())
    assert card["thresholds"].keys() == set(LABELS)
    with (tmp_path / "model.pkl.gz").open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match="does not match the card"):
        load_model(tmp_path)


def test_a_model_file_holding_the_whole_estimator_still_loads_and_is_checked(tmp_path: Path,
                                                                            fitted: PatroliClassifier) -> None:
    import gzip
    import hashlib

    # as model files were written before they held only the fitted attributes
    data = gzip.compress(pickle.dumps(fitted, protocol=5), mtime=0)
    (tmp_path / "model.pkl.gz").write_bytes(data)
    (tmp_path / "model_card.json").write_text(json.dumps({"version": "old",
                                                          "model_sha256": hashlib.sha256(data).hexdigest()}))
    old = load_model(tmp_path)
    assert isinstance(old.estimator, PatroliClassifier)
    texts = ["selamat pagi", "Bakar gerejanya!!"]
    assert (old.score(texts).to_numpy() == fitted.predict_proba(texts)).all()
    (tmp_path / "model_card.json").write_text(json.dumps({"version": "old", "model_sha256": "0" * 64}))
    with pytest.raises(ModelError, match="does not match the card"):
        load_model(tmp_path)


#: Loads the model directory given as argv[1] in a fresh interpreter, scores argv[2:] and prints the scores, the
#: explanation of the first text, and which of the training libraries got imported.
FRESH = """
import json, sys
from pipeline.classify.artifact import load_model
model = load_model(sys.argv[1])
from pipeline.classify.explain import explain
clf = model.estimator
print(json.dumps({"type": type(clf).__name__, "scores": clf.predict_proba(sys.argv[2:]).tolist(),
                  "explained": explain(clf, sys.argv[2], "sara", 5),
                  "loaded": sorted(m for m in ("sklearn", "nltk", "joblib", "scipy.stats") if m in sys.modules)}))
"""


def test_a_saved_model_loads_and_scores_without_the_training_libraries(tmp_path: Path, frame: pd.DataFrame,
                                                                       fitted: PatroliClassifier) -> None:
    import subprocess
    import sys

    from pipeline.classify.explain import explain

    Model(fitted, {"version": "t"}).save(tmp_path)
    texts = [*frame["text"].tolist()[:40], "Bakar gerejanya kalau mereka masih berani ibadah!!", ""]
    done = subprocess.run([sys.executable, "-c", FRESH, str(tmp_path), *texts], capture_output=True, text=True,
                          timeout=120, check=True)
    found = json.loads(done.stdout)
    assert found["type"] == "FittedClassifier" and found["loaded"] == []
    # the very same numbers as the estimator that was saved
    assert (np.array(found["scores"]) == fitted.predict_proba(texts)).all()
    assert [tuple(pair) for pair in found["explained"]] == explain(fitted, texts[0], "sara", 5)


def test_load_model_without_files_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no model in"):
        load_model(tmp_path)


def test_load_model_trained_on_another_feature_set_is_a_clear_error(tmp_path: Path,
                                                                     fitted: PatroliClassifier) -> None:
    Model(fitted, {"version": "t"}).save(tmp_path / "now")
    assert load_model(tmp_path / "now").version == "t"
    older = pickle.loads(pickle.dumps(fitted))
    older.coef_ = older.coef_[:, :-1]  # one cue column fewer, as a model from before a cue was added
    Model(older, {"version": "old"}).save(tmp_path / "old")
    with pytest.raises(ModelError, match="trained on .* features .* retrain it"):
        load_model(tmp_path / "old")


def test_threshold_overrides(fitted: PatroliClassifier) -> None:
    model = Model(fitted, {"version": "t"})
    scores = model.score(["teks biasa saja"])
    assert model.flags(scores, {label: 0.0 for label in LABELS}) == [list(pipeline.FLAG_LABELS)]
    assert model.flags(scores, {label: 1.0 for label in LABELS})[0] == [] or scores.max(axis=1)[0] == 1.0
    with pytest.raises(pipeline.ModelError):
        model.resolve_thresholds({"hoax": 1.5})
    with pytest.raises(pipeline.ConfigError):
        model.resolve_thresholds({"gossip": 0.5})


def test_shipped_model_scores_samples_sensibly(frame: pd.DataFrame) -> None:
    model = load_model()
    scores = model.score(frame["text"])
    for label in ("hoax", "hate_speech", "abusive", "sara", "provocation"):
        positive = frame[label].to_numpy() == 1
        auc_like = (scores[label].to_numpy()[positive][:, None] > scores[label].to_numpy()[~positive][None, :]).mean()
        assert auc_like > 0.75, (label, auc_like)
    assert model.card["training_data"]["files_sha256"]


SAMPLE_TEXTS = pd.read_csv(SAMPLES_DIR / "posts.csv", dtype=str).set_index("id")["text"]


@pytest.fixture(scope="module")
def shipped() -> Model:
    return load_model()


@pytest.mark.parametrize(("text", "must", "must_not"), [
    # a threat to burn a church: SARA and provocation
    (SAMPLE_TEXTS["s004"], {"sara", "provocation"}, set()),
    # a job ad: not a hoax, though it is an announcement
    (SAMPLE_TEXTS["s006"], set(), {"hoax"}),
    # a school notice, in the words hoaxes dressed as notices also use
    ("Pengumuman: ujian akhir semester dimulai 7 Desember, siswa wajib hadir 15 menit sebelumnya", set(), {"hoax"}),
    # a chain message scare
    ("PENTING!! Beredar pesan: air PDAM hari ini tercampur racun, jangan diminum sampai besok. Teruskan ke keluarga "
     "kalian", {"hoax"}, set()),
    # "sarapan" is not the insult "sarap"
    ("Sudah sarapan belum?", set(), {"abusive"}),
    # a slur spelled with a digit: "a5eng" is "aseng" (not "asing", foreign), a SARA target
    ("Usir a5eng dari kampung kita", {"sara", "provocation"}, set()),
    # a police appeal against SARA incitement is not SARA
    ("Polres Belu mengimbau warga tidak menyebarkan hoaks dan isu SARA", set(), {"sara", "provocation"}),
])
def test_shipped_model_on_posts_a_patrol_meets(shipped: Model, text: str, must: set[str], must_not: set[str]) -> None:
    model = shipped
    flags = set(model.flags(model.score([text]))[0])
    assert must <= flags and not flags & must_not, flags


def test_shipped_model_names_the_target_of_sara(shipped: Model) -> None:
    model = shipped
    scores = model.score([SAMPLE_TEXTS["s004"]]).iloc[0]
    assert scores.filter(like="sara_").idxmax() == "sara_agama" and scores["sara_agama"] == scores["sara"]
    terms = [term for term, _ in model.explain(SAMPLE_TEXTS["s004"], "sara")["sara"]]
    assert "target: umat Kristen (agama)" in terms


@needs_data
def test_training_generalises_to_held_out_tweets() -> None:
    from pipeline.classify.metrics import label_metrics
    from pipeline.classify.sources import load_ibrohim

    tweets = load_ibrohim(DATA_DIR).sample(frac=1.0, random_state=0).reset_index(drop=True)
    train, test = tweets.iloc[:5000], tweets.iloc[5000:7000]
    labels = ["hate_speech", "abusive"]
    clf = PatroliClassifier(labels=labels, calibration_folds=3).fit(train["text"].tolist(), train)
    proba = clf.predict_proba(test["text"].tolist())
    hs = label_metrics(test["hate_speech"].to_numpy(), proba[:, 0], clf.thresholds_["hate_speech"])
    ab = label_metrics(test["abusive"].to_numpy(), proba[:, 1], clf.thresholds_["abusive"])
    assert hs["f1"] > 0.75 and hs["roc_auc"] > 0.85
    assert ab["f1"] > 0.85


@pytest.mark.parametrize("n_columns", [50, 2**28])  # 2**28: rows counted in blocks of 7 to keep int32 keys
def test_gathered_rows_count_what_summed_rows_count(n_columns: int) -> None:
    from pipeline.text.ngrams import gathered_rows, summed_rows

    rng = np.random.default_rng(0)
    parts = [rng.integers(0, 50, size=rng.integers(0, 6)) for _ in range(30)]  # empty parts among them
    per_row = rng.integers(0, 12, size=40).tolist()  # empty rows among them
    part_of = rng.integers(0, len(parts), size=sum(per_row))
    starts = np.cumsum([0, *map(len, parts)])
    got = gathered_rows(np.concatenate(parts), starts, part_of, per_row, n_columns)
    expected = summed_rows([parts[k] for k in part_of], per_row, n_columns)
    assert got.shape == expected.shape == (40, n_columns)
    assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
    assert (got.data == expected.data).all() and got.data.dtype == expected.data.dtype
    assert gathered_rows(np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.int64),
                         [0, 0], n_columns).nnz == 0


def test_tfidf_weighting_is_bitwise_the_vectorizers() -> None:
    from sklearn.preprocessing import normalize

    from pipeline.classify._features import _tfidf

    rng = np.random.default_rng(1)
    dense = rng.integers(1, 6, size=(300, 4000)) * (rng.random((300, 4000)) < rng.random((300, 1)) * 0.4)
    dense[7] = 0
    counts = sp.csr_matrix(dense.astype(np.float32))  # rows of 0 to about 1,600 values, and an empty one
    idf = (1 + rng.random(4000) * 9).astype(np.float64)
    # the vectorizer's own steps: log, then the product with the idf diagonal, then the norms
    plain = counts.copy()
    plain.data = np.log(plain.data) + 1
    expected = normalize(plain @ sp.diags(idf.astype(np.float32)), norm="l2", copy=False).astype(np.float32)
    expected.sort_indices()
    got = _tfidf(counts.copy(), idf)
    assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
    assert got.dtype == np.float32 and (got.data == expected.data).all()


def test_cached_char_features_equal_sklearns_transform(frame: pd.DataFrame, fitted: PatroliClassifier) -> None:
    # long rows too: the more values a row has, the likelier a norm summed in another order differs in its last bit
    rows = frame["text"].tolist()
    texts = [*rows, "", "   ", "😂😂", "k4f1r b.a.b.i bangeeet", *(" ".join(rows[i:i + 40]) for i in range(len(rows)))]
    normalized, _ = fitted.analyzer_.analyze_many(texts)
    expected = fitted_vectorizer(fitted.features_.chars, "char_wb").transform([" ".join(tokens) for tokens in normalized])
    got = fitted.features_.char_matrix(normalized)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    expected.sort_indices()  # the vectorizer's rows come out in reverse order
    assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
    assert (got.data == expected.data).all()  # bitwise: the norms are summed in the vectorizer's order


def test_char_features_stay_sklearns_as_the_token_store_grows_and_starts_over(
        frame: pd.DataFrame, fitted: PatroliClassifier, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.classify._features import _TokenGrams

    monkeypatch.setattr(_TokenGrams, "LIMIT", 150)
    features = pickle.loads(pickle.dumps(fitted.features_))  # its own, empty store
    rows = frame["text"].tolist()
    # characters outside the vocabulary's n-grams (non-Latin scripts, a lone surrogate) among known ones too
    odd = ["hubungi 021 555 1234 ya", "😂😂 a b", "a", "Орган русский текст", "中文 文本", "café naïve", "ka\ud800fir"]
    batches = [rows[:5], rows[3:6], [""], odd, rows[6:40], rows[:3], rows[:3]]
    sizes = []
    for texts in batches:
        normalized, _ = fitted.analyzer_.analyze_many(texts)
        expected = fitted_vectorizer(features.chars, "char_wb").transform([" ".join(tokens) for tokens in normalized])
        expected.sort_indices()
        got = features.char_matrix(normalized)
        assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
        assert (got.data == expected.data).all()
        sizes.append(len(features._char_grams.ids))
    assert sizes[1] > sizes[0] and min(sizes[5:]) < max(sizes[:5])  # tokens added to it, and it started over


def test_counted_word_features_equal_sklearns_transform(frame: pd.DataFrame, fitted: PatroliClassifier) -> None:
    texts = [*frame["text"].tolist(), "", "   ", "hubungi 021 555 1234 ya", "tidak bodoh tapi malas"]
    normalized, stemmed = fitted.analyzer_.analyze_many(texts)
    expected = fitted_vectorizer(fitted.features_.words, "word").transform(_word_strings(normalized, stemmed))
    got = fitted.features_.word_matrix(normalized, stemmed)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    expected.sort_indices()
    assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
    assert (got.data == expected.data).all()


@pytest.mark.parametrize(("ngram_range", "max_features"), [((1, 1), 5000), ((1, 3), 5000), ((1, 3), 400),
                                                         ((2, 3), 300)])
def test_word_features_of_any_ngram_range_equal_sklearns_transform(frame: pd.DataFrame, ngram_range: tuple[int, int],
                                                                  max_features: int) -> None:
    # few features: some n-grams are features while the n-grams they begin with are not
    from pipeline.text.analyzer import Analyzer

    rows = frame["text"].tolist()
    normalized, stemmed = Analyzer().analyze_many([*rows, *(" ".join(rows[i:i + 3]) for i in range(len(rows)))])
    builder, _ = fit_features(normalized, stemmed, ngram_range, (2, 3), 1, max_features, 500)
    texts = [*rows[::-1], "", "a", "hubungi 021 555 1234 ya", "tidak bodoh tapi malas, bodoh tapi malas"]
    normalized, stemmed = Analyzer().analyze_many(texts)
    expected = fitted_vectorizer(builder.words, "word").transform(_word_strings(normalized, stemmed))
    got = builder.word_matrix(normalized, stemmed)
    assert got.shape == expected.shape and got.nnz > 0
    expected.sort_indices()
    assert (got.indptr == expected.indptr).all() and (got.indices == expected.indices).all()
    assert (got.data == expected.data).all()


def test_featurize_finds_negation_once_for_what_each_step_would_find(frame: pd.DataFrame,
                                                                     fitted: PatroliClassifier) -> None:
    from pipeline.text.negation import negated_positions

    texts = [*frame["text"].tolist(), "orang cina itu tidak pelit", "bukan kafir, tapi tidak bodoh juga", "tidak",
             "tak sama sekali anti gereja", ""]
    found = fitted.featurize(texts)
    assert found.negated == [negated_positions(tokens) for tokens in found.normalized]
    assert any(True in marks for marks in found.negated)
    plain = fitted.features_.transform(found.normalized, found.stemmed)  # every step finds negation itself
    assert (found.matrix != plain).nnz == 0
    assert found.hits == [fitted.features_.cue_hits(t, s) for t, s in zip(found.normalized, found.stemmed, strict=True)]


def test_definition_heads_learn_from_the_definition_rows_only(frame: pd.DataFrame,
                                                               fitted: PatroliClassifier) -> None:
    assert fitted.columns_[: len(fitted.heads_)] == fitted.heads_
    assert "sara:def" in fitted.columns_ and fitted.stack_["sara"][0] == ("sara:def", "hate_speech")
    # Changing the labels of rows outside the definition rows leaves the definition heads as they were.
    changed = frame.copy()
    outside = ~definition_rows(frame)
    changed.loc[outside, "hoax"] = 1 - changed.loc[outside, "hoax"]
    again = PatroliClassifier(**SMALL).fit(changed["text"].tolist(), changed, definition_rows=definition_rows(frame))
    k = fitted.columns_.index("hoax:def")
    np.testing.assert_array_equal(again.coef_[k], fitted.coef_[k])
    assert not np.array_equal(again.coef_[0], fitted.coef_[0])
    plain = PatroliClassifier(**SMALL).fit(frame["text"].tolist(), frame)
    assert plain.columns_ == plain.heads_ and plain.stack_["sara"][0] == ("hate_speech",)


def test_training_is_reproducible(frame: pd.DataFrame, fitted: PatroliClassifier) -> None:
    again = PatroliClassifier(**SMALL).fit(frame["text"].tolist(), frame, definition_rows=definition_rows(frame))
    np.testing.assert_array_equal(again.coef_, fitted.coef_)
    assert again.thresholds_ == fitted.thresholds_


def test_ordinary_rows_cap_the_thresholds_they_would_cross(frame: pd.DataFrame, fitted: PatroliClassifier) -> None:
    # The unlabelled samples stand in for ordinary text; with a zero cap none of them may be flagged out of fold.
    ordinary = (frame[list(fitted.heads_)] == 0).all(axis=1).to_numpy()
    capped = ("hoax", "sara", "hate_speech")
    clf = PatroliClassifier(**SMALL, max_ordinary_flag_rate=tuple((label, 0.0) for label in capped))
    clf.fit(frame["text"].tolist(), frame, definition_rows=definition_rows(frame), ordinary_rows=ordinary)
    raised = False
    for label in clf.heads_:
        rows, proba = clf.oof_[label]
        quiet = proba[ordinary[rows]]
        assert clf.ordinary_flag_rate_[label] == pytest.approx((quiet >= clf.thresholds_[label]).mean())
        if label in capped:
            assert clf.thresholds_[label] >= fitted.thresholds_[label]
            assert clf.ordinary_flag_rate_[label] == 0.0 and clf.thresholds_[label] > quiet.max()
            raised |= clf.thresholds_[label] > fitted.thresholds_[label]
        else:
            assert clf.thresholds_[label] == fitted.thresholds_[label]
    # The samples' ordinary posts score high enough out of fold that some uncapped threshold would flag them.
    assert raised
    # Without ordinary rows there is nothing to cap or measure.
    assert fitted.ordinary_flag_rate_ == {}
    with pytest.raises(pipeline.InputError, match="one entry per post"):
        PatroliClassifier(**SMALL).fit(frame["text"].tolist(), frame, ordinary_rows=ordinary[:-1])


def _reference_evidence(clf: PatroliClassifier, text: str, label: str) -> dict[str, float]:
    """Term scores by the definition: every feature's contribution shared among the tokens it comes from."""
    from collections import defaultdict

    from pipeline.classify._features import CUE_NAMES
    from pipeline.classify.explain import _contributions
    from pipeline.text.negation import mark_negated

    features = clf.features_
    tokens, stems = clf.analyzer_.analyze(text)
    row = features.transform([tokens], [stems]).tocsr()
    words = fitted_vectorizer(features.words, "word").get_feature_names_out()
    chars = fitted_vectorizer(features.chars, "char_wb").get_feature_names_out()
    first_token = {}
    for token, stem, marked in zip(tokens, stems, mark_negated(tokens, stems), strict=True):
        first_token.setdefault(stem, token)
        first_token.setdefault(marked, token)
    cues = features.cue_hits(tokens, stems)
    scores: dict[str, float] = defaultdict(float)
    for index, value in zip(row.indices, _contributions(clf, row, label), strict=True):
        if index < features.n_word:
            parts = {first_token.get(s, s) for s in words[index].split()}
        elif index < features.n_word + features.n_char:
            parts = {t for t in tokens if chars[index - features.n_word] in f" {t} "}
        else:
            hits = cues.get(CUE_NAMES[index - features.n_word - features.n_char], [])
            parts = {word for hit in hits for word in hit.split()} & set(tokens)
        parts &= set(tokens)
        for part in parts:
            scores[part] += float(value) / len(parts)
    return scores


#: Posts naming a group twice: its target line still carries each naming word's contribution once.
_TWICE = ["Usir aseng dari pasar, aseng pulang sana!", "Orang Madura itu kasar, dasar Madura"]


@pytest.mark.parametrize("label", ["hate_speech", "sara", "abusive"])
def test_explanations_match_their_definition(frame: pd.DataFrame, fitted: PatroliClassifier, label: str) -> None:
    from pipeline.classify.explain import explain
    from pipeline.text.targets import TargetDetector

    for text in [*frame["text"].tolist()[:40], *_TWICE]:
        expected = _reference_evidence(fitted, text, label)
        tokens, stems = fitted.analyzer_.analyze(text)
        for term, weight in explain(fitted, text, label, top=5):
            if term.startswith("target: "):
                # a group's line carries the contributions of the words that name it
                words = {w for t in TargetDetector().find(tokens, stems) if f"target: {t.describe()}" == term
                         for w in t.text.split()}
                assert weight == pytest.approx(sum(expected[w] for w in words), abs=1e-3), (text, term)
            else:
                assert weight == pytest.approx(expected[term], abs=1e-3), (text, term)


@pytest.mark.parametrize("block", [2000, 7])
def test_explaining_rows_together_gives_each_what_it_gets_alone(frame: pd.DataFrame, fitted: PatroliClassifier,
                                                                 block: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.classify import explain as module
    from pipeline.classify.explain import explain_row, explain_rows

    monkeypatch.setattr(module, "_BLOCK", block)  # rows explained together, a block at a time
    M, tokens, stems, hits, negated = fitted.featurize(frame["text"].tolist())
    # rows without labels, and different labels per row (SARA sub-labels among them)
    labels = [list(LABELS[i % 5: i % 5 + 1 + i % 4]) if i % 3 else [] for i in range(M.shape[0])]
    # together with the cue hits and negation scoring found; alone, each found again for the row
    together = explain_rows(fitted, M, tokens, stems, labels, top=5, hits=hits, negated=negated)
    assert [list(found) for found in together] == labels
    for i, wanted in enumerate(labels):
        if wanted:
            assert together[i] == explain_row(fitted, M[i], tokens[i], stems[i], wanted, top=5), i


def test_equal_scores_keep_the_order_a_rows_own_sort_gives_them() -> None:
    from pipeline.classify.explain import _ranking

    sizes = [40, 3, 0, 25, 60, 17]
    scores = np.random.default_rng(0).choice([-0.5, 0.0, 0.25, 0.5, 1.0], size=sum(sizes))  # ties in every row
    offsets = np.concatenate(([0], np.cumsum(sizes))).tolist()
    wanted = np.array([True, True, True, False, True, True])
    found = _ranking(scores, np.repeat(np.arange(len(sizes)), sizes), offsets, wanted)
    for r, (start, end) in enumerate(zip(offsets, offsets[1:], strict=False)):
        alone = [start + i for i in np.argsort(-scores[start:end]).tolist() if scores[start + i] > 0]
        assert found.row(r) == (alone if wanted[r] else []), r


def test_feedback_rows_keep_only_judged_labels() -> None:
    from pipeline.classify.train import feedback_rows

    feedback = pd.DataFrame({"text": ["usir mereka", "halo"], "judged": [["sara", "provocation"], ["hoax"]],
                             **{label: [int(label in ("sara", "provocation")), 0] for label in LABELS}})
    rows = feedback_rows(feedback)
    assert rows.loc[0, "sara"] == 1.0 and rows.loc[0, "provocation"] == 1.0
    assert np.isnan(rows.loc[0, "hoax"]) and np.isnan(rows.loc[0, "abusive"])
    assert rows.loc[1, "hoax"] == 0.0 and np.isnan(rows.loc[1, "sara"])
    assert (rows["source"] == "feedback").all()
