"""The dataset loaders: label mapping, text extraction and de-duplication, on small files written here in each
dataset's layout (never copies of the data), and once on the real data directory when it is present."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.classify import sources
from pipeline.classify.data import deduplicate, fold_groups, load_handwritten, load_training_data, text_key
from pipeline.labels import BASE_LABELS

DATA_DIR = Path(os.environ.get("PATROLI_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data"))
needs_data = pytest.mark.skipif(not (DATA_DIR / "netifier2018").exists(), reason=f"no dataset in {DATA_DIR}")


@pytest.mark.parametrize(("value", "year"), [("17-Aug-20", 2020), ("03-Okt-18", 2018), ("5 Mei 2019", 2019),
                                             ("12-Des-16", 2016), ("tanpa tanggal", None)])
def test_indonesian_year(value: str, year: int | None) -> None:
    found = sources.indonesian_year(value)
    assert (math.isnan(found) if year is None else found == year)


def test_chain_message_and_debunk_are_cut_at_the_next_section() -> None:
    body = ("====== (KATEGORI): HOAKS ====== (NARASI): Pesan dari grup: besok semua bank tutup, tarik uang kalian "
            "sekarang juga!! ====== (PENJELASAN): Bank Indonesia menyatakan kabar itu tidak benar dan layanan bank "
            "berjalan normal seperti biasa. ====== REFERENSI: http://contoh.example/a")
    assert sources.chain_message(body) == "Pesan dari grup: besok semua bank tutup, tarik uang kalian sekarang juga!!"
    assert sources.debunk_text(body).startswith("Bank Indonesia menyatakan kabar itu tidak benar")
    assert "REFERENSI" not in sources.debunk_text(body)
    plain = "SUMBER: Media Sosial NARASI: Ada info pasukan akan datang ke kota malam ini PENJELASAN: itu hoaks."
    assert sources.chain_message(plain) == "Ada info pasukan akan datang ke kota malam ini"
    assert sources.chain_message("Tidak ada narasi di halaman ini") is None


@pytest.mark.parametrize(("text", "debunk"), [
    ("[Cek Fakta] Benarkah jembatan runtuh kemarin? Ini faktanya", True),
    ("Kabar itu hoaks, kata polisi", True),
    ("Ini bukan hoax!! Sebarkan sebelum dihapus", False),
    ("Jembatan runtuh kemarin, korban puluhan orang", False),
])
def test_debunk_tweets_are_told_from_hoaxes(text: str, debunk: bool) -> None:
    assert sources.is_debunk(text) is debunk


def _write(path: Path, content: str, encoding: str = "utf-8") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding=encoding)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """Every dataset's file layout with a few invented rows."""
    _write(tmp_path / "ibrohim2019" / "re_dataset.csv",
           "Tweet,HS,Abusive,HS_Individual,HS_Group,HS_Religion,HS_Race,HS_Physical,HS_Gender,HS_Other,HS_Weak,"
           "HS_Moderate,HS_Strong\n"
           "USER dasar kafir usir saja,1,0,0,1,1,0,0,0,0,0,0,1\n"
           "selamat pagi semua,0,0,0,0,0,0,0,0,0,0,0,0\n"
           "Teks yang sama di dua dataset,0,0,0,0,0,0,0,0,0,0,0,0\n", encoding="latin-1")
    _write(tmp_path / "netifier2018" / "train.csv",
           "original_text,source,pornografi,sara,radikalisme,pencemaran_nama_baik\n"
           '"[QUOTE=anu;123]kutipan[/QUOTE] cina pulang sana :ngakak",kaskus,0,1,0,0\n'
           "@akun teks yang sama di dua dataset!,twitter,0,1,0,0\n")
    _write(tmp_path / "netifier2018" / "test.csv",
           "original_text,source,pornografi,sara,radikalisme,pencemaran_nama_baik\nayo jihad serbu,twitter,0,0,1,0\n")
    _write(tmp_path / "hoax_news2020" / "data_latih.csv",
           "ID,label,tanggal,judul,narasi,nama file gambar\n1,1,3-Mei-19,Judul hoaks,Isi hoaks,a.jpg\n"
           "2,0,7-Agu-17,Judul berita,Isi berita,b.jpg\n")
    _write(tmp_path / "turnbackhoax2021" / "scrapping.csv",
           "Label;Headline;Body;;;;\n"
           "0;Klaim palsu;NARASI: Pesan berantai tentang air beracun di kota kita, jangan diminum. PENJELASAN: "
           "PDAM menyatakan air aman dan pesan itu hoaks sejak Mei 2017, jangan disebarkan lagi ya.;;;;\n"
           "1;Klarifikasi;Pemerintah kota menjelaskan bahwa jalan ditutup hanya sehari pada 2019 untuk perbaikan "
           "saluran air. ====== SUMBER: x;;;;\n", encoding="cp1252")
    _write(tmp_path / "falsenews_tweets2019" / "traindata.tsv",
           "index\ttopic\ttweets\tdate\tusername\tlikes\tretweets\treplies\thashtags\tclass\n"
           "0\tA\tServer sudah diatur, sebarkan!\t2019-04-01 10:00:00+00:00\tu\t0\t0\t0\t\tFalse News\n"
           "1\tA\t[Cek Fakta] Server diatur? Itu hoaks\t2019-04-02 10:00:00+00:00\tu\t0\t0\t0\t\tFalse News\n"
           "2\tB\tHarga beras turun\t2018-11-02 10:00:00+00:00\tu\t0\t0\t0\t\tTrue News\n"
           "3\tB\tmenurut saya sih begitu\t2018-11-03 10:00:00+00:00\tu\t0\t0\t0\t\tOther 1\n")
    _write(tmp_path / "falsenews_tweets2019" / "testdata.tsv",
           "index\ttopic\ttweets\tdate\tusername\tlikes\tretweets\treplies\thashtags\tclass\n")
    for name, rows in (("train", "makanannya enak\tpositive\npelayanan buruk sekali\tnegative\n"),
                       ("valid", "tempatnya nyaman\tpositive\n"), ("test", "biasa saja\tneutral\n")):
        _write(tmp_path / "smsa2019" / f"{name}.tsv", rows)
    return tmp_path


def test_each_loader_maps_its_labels(data_dir: Path) -> None:
    ibrohim = sources.load_ibrohim(data_dir)
    assert ibrohim.loc[0, ["sara", "provocation", "hate_speech", "abusive", "hoax"]].tolist() == [1, 1, 1, 0, 0]
    netifier = sources.load_netifier(data_dir)
    assert netifier.loc[0, "text"] == "kutipan  cina pulang sana"  # forum markup and smileys removed
    assert netifier["sara"].tolist() == [1, 1, 0] and netifier["provocation"].tolist() == [0, 0, 1]
    assert netifier["hate_speech"].isna().all()
    news = sources.load_hoax_news(data_dir)
    assert news["hoax"].tolist() == [1, 0] and news["year"].tolist() == [2019, 2017]
    pages = sources.load_turnbackhoax(data_dir)
    assert pages["kind"].tolist() == ["chain", "debunk", "clarification"]
    assert pages["hoax"].tolist() == [1, 0, 0] and pages["year"].tolist() == [2017, 2017, 2019]
    assert pages.loc[0, "text"].startswith("Pesan berantai tentang air beracun")
    tweets = sources.load_falsenews(data_dir)
    assert tweets["kind"].tolist() == ["tweet", "debunk", "tweet", "tweet"]
    assert tweets["hoax"].tolist()[:3] == [1, 0, 0] and np.isnan(tweets.loc[3, "hoax"])
    assert tweets["group"].nunique() == 2
    smsa = sources.load_smsa(data_dir)
    assert smsa["heldout"].tolist() == [False, False, True, True]
    assert smsa["kind"].tolist() == ["review", "complaint", "review", "review"]
    assert (smsa[["hoax", "hate_speech"]] == 0).all().all() and smsa["abusive"].isna().all()
    group = smsa[["sara", "provocation"]]
    assert (group.loc[smsa["kind"] == "review"] == 0).all().all()  # positive and neutral: neither
    assert group.loc[smsa["kind"] == "complaint"].isna().all().all()  # negative: unknown


def test_training_data_is_deduplicated_across_datasets(data_dir: Path) -> None:
    frame, hashes = load_training_data(data_dir, handwritten=False)
    assert set(hashes) == {f for source in sources.SOURCES.values() for f in source.files}
    copies = frame[frame["text"].map(text_key) == "teks yang sama di dua dataset"]
    assert len(copies) == 1 and copies.iloc[0]["source"] == "ibrohim2019"
    assert copies.iloc[0]["sara"] == 0  # ibrohim2019's own annotation is kept
    assert list(frame.columns) == list(sources.COLUMNS)


def test_deduplicate_fills_labels_from_other_copies_and_a_positive_copy_wins() -> None:
    frame = pd.DataFrame({"text": ["Halo, Dunia!", "halo dunia", "HALO DUNIA", "lain"],
                          "source": ["a", "a", "b", "a"], "kind": "post", "year": np.nan, "group": None,
                          "heldout": False})
    for label in BASE_LABELS:
        frame[label] = np.nan
    frame["sara"] = [0, 1, 0, np.nan]
    frame["hoax"] = [np.nan, np.nan, 1, 0]
    out = deduplicate(frame)
    assert out["text"].tolist() == ["Halo, Dunia!", "lain"]
    assert out.loc[0, "sara"] == 1 and out.loc[0, "hoax"] == 1
    assert fold_groups(out).tolist() == [0, 1]


def test_handwritten_examples_are_well_formed() -> None:
    frame = load_handwritten()
    assert len(frame) > 500 and frame["text"].is_unique
    assert (frame[list(BASE_LABELS)].isin([0.0, 1.0])).all().all()
    for label in BASE_LABELS:
        assert 0 < frame[label].sum() < len(frame), label
    # SARA hate implies hate speech in these examples, as in the datasets.
    assert (frame.loc[frame["sara"] == 1, "hate_speech"] == 1).all()


@needs_data
def test_loaders_on_the_real_data() -> None:
    counts = {name: len(source.load(DATA_DIR)) for name, source in sources.SOURCES.items()}
    assert counts["ibrohim2019"] == 13169 and counts["netifier2018"] == 7773 and counts["hoax_news2020"] == 4231
    assert counts["smsa2019"] == 12760 and counts["falsenews_tweets2019"] == 8785
    pages = sources.load_turnbackhoax(DATA_DIR)
    assert 400 <= (pages["kind"] == "chain").sum() <= 600 and (pages["hoax"] == 0).sum() > 800
    netifier = sources.load_netifier(DATA_DIR)
    assert netifier["sara"].sum() == 1238 and netifier["provocation"].sum() == 1276
    frame, _ = load_training_data(DATA_DIR)
    assert frame["text"].map(text_key).is_unique
    assert frame["year"].between(2010, 2020).sum() > 10_000
