"""Claim-matching benchmark: index build time and memory, and matching speed, at 100,000 generated claims.

    .venv/bin/python benchmarks/bench_claims.py [--claims 100000] [--posts 20000] [--data-dir DIR] [--no-eval]

Claims and posts are generated from templates and an Indonesian vocabulary written here (fixed seed); 30% of
the posts are forwarded copies of a claim (greeting, slang, commentary), the rest ordinary chatter. Matching
runs on one core (BLAS threads pinned to 1). With --data-dir or PATROLI_DATA_DIR it also matches as many real
posts (two real texts joined per post, as the scan benchmark makes them: longer, with a long-tail vocabulary)
and runs `evaluate_claim_matching` on the real data. Prints a table; writes JSON to benchmarks/results/claims.json.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import pickle  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import generate_real  # noqa: E402

from pipeline import config  # noqa: E402
from pipeline.claims import ClaimIndex  # noqa: E402
from pipeline.claims.evaluate import evaluate_claim_matching  # noqa: E402

SUBJECTS = [
    "Presiden", "Wakil Presiden", "Menteri Kesehatan", "Menteri Keuangan", "Menteri Agama", "Kapolri",
    "Panglima TNI", "Gubernur {prov}", "Bupati {city}", "Wali Kota {city}", "Kemenkes", "BPOM", "WHO", "PLN",
    "Pertamina", "Bank Indonesia", "KPU", "Bawaslu", "MUI", "BMKG", "Dinas Kesehatan {city}", "Polres {city}",
    "dokter RS {city}", "ulama asal {city}", "artis {name}", "pengusaha {name}", "warga negara asing", "DPR",
    "tenaga kerja asing", "KPK", "Satpol PP {city}", "BPJS Kesehatan", "Kominfo", "BNPB", "anggota DPRD {prov}",
    "kepala desa {name}", "Bupati {name}", "Pemprov {prov}",
]
VERBS = [
    "melarang", "membagikan", "menutup", "mewajibkan", "menangkap", "menyebarkan", "menghapus", "membatalkan",
    "menaikkan", "menurunkan", "membagi gratis", "menjual", "mengimpor", "menyita", "memblokir", "mengumumkan",
    "membubarkan", "menyetujui", "menolak", "memalsukan", "mencampur", "menyuntikkan", "mendanai", "meliburkan",
    "memutus", "menimbun", "mengganti", "menarik",
]
OBJECTS = [
    "vaksin {brand}", "bantuan sosial Rp {n} juta", "masker medis", "sekolah negeri", "pemilu {year}",
    "BBM bersubsidi", "kuota internet gratis {n} GB", "sertifikat tanah", "e-KTP", "beras plastik", "telur palsu",
    "obat herbal {herb}", "air kelapa", "garam beryodium", "listrik gratis", "token listrik", "gaji ke-13",
    "tunjangan guru", "pajak kendaraan", "SIM seumur hidup", "tilang elektronik", "aplikasi {app}",
    "chip di vaksin", "uang kertas baru", "minyak goreng", "gas elpiji 3 kg", "daging sapi impor",
    "pupuk subsidi", "jalan tol {city}", "bandara {city}", "kartu prakerja", "pinjaman online", "sembako murah",
    "ramuan {herb}", "pasar {city}", "{n} ton beras", "surat suara tercoblos",
]
PLACES = [
    "Jakarta", "Surabaya", "Bandung", "Medan", "Semarang", "Makassar", "Palembang", "Tangerang", "Depok",
    "Bekasi", "Bogor", "Malang", "Padang", "Denpasar", "Pekanbaru", "Banjarmasin", "Pontianak", "Samarinda",
    "Balikpapan", "Manado", "Kupang", "Mataram", "Jayapura", "Ambon", "Yogyakarta", "Solo", "Cirebon",
    "Tasikmalaya", "Garut", "Sukabumi", "Kediri", "Jember", "Banyuwangi", "Madiun", "Tegal", "Purwokerto",
    "Magelang", "Klaten", "Jambi", "Bengkulu", "Palu", "Kendari", "Gorontalo", "Ternate", "Sorong", "Merauke",
    "Batam", "Serang", "Cilegon", "Karawang", "Subang", "Indramayu", "Sumedang", "Ciamis", "Pati", "Kudus",
]
PROVINCES = ["Jawa Barat", "Jawa Tengah", "Jawa Timur", "DKI Jakarta", "Banten", "Sumatera Utara", "Riau", "Aceh",
             "Bali", "NTB", "NTT", "Kalimantan Timur", "Sulawesi Selatan", "Papua", "Maluku", "Lampung"]
BRANDS = ["Sinovac", "AstraZeneca", "Pfizer", "Moderna", "Nusantara", "Merah Putih", "Sputnik"]
HERBS = ["jahe merah", "kunyit", "temulawak", "daun sirih", "bawang putih", "sereh", "kayu manis", "madu hutan"]
APPS = ["WhatsApp", "PeduliLindungi", "Facebook", "TikTok", "Telegram", "Instagram", "e-Samsat", "Signal"]
FRAMES = ["Beredar kabar {s}", "Viral video {s}", "Foto {s}", "Pesan berantai: {s}", "Klaim {s}", "Benarkah {s}?",
          "[HOAKS] {s}", "{s}", "{s}", "{s}", "Disebut {s}", "Kabar bahwa {s}"]
TAILS = ["mulai {date}", "di {city}", "sejak {year}", "karena {reason}", "untuk {who}", "pada {date}", "", ""]
REASONS = ["konspirasi asing", "proyek luar negeri", "agenda politik", "wabah baru", "kebocoran data",
           "krisis ekonomi", "perintah WHO", "uji coba senjata biologis"]
WHO = ["seluruh warga", "pegawai negeri", "pelajar", "umat Islam", "petani", "nelayan", "pengemudi ojek", "lansia"]
MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
SYLLABLES = ["ba", "bu", "di", "da", "ra", "ri", "su", "sa", "to", "ti", "wa", "wi", "no", "ni", "ma", "mi", "ko",
             "ka", "har", "yan", "dra", "tri", "san", "ling", "gus", "mad", "we", "ju", "ha", "pur"]
CHATTER = [
    "hari ini macet banget di {city} gara gara hujan", "siapa yang mau nonton bola nanti malam",
    "enak banget makan bakso di {city} sama teman", "capek kerja seharian pengen libur panjang",
    "selamat ulang tahun ya {name} semoga sehat selalu", "lagi nunggu kereta ke {city} telat lagi",
    "harga cabai naik lagi di pasar {city}", "anak saya juara lomba mewarnai di sekolah",
    "ada yang tahu servis motor bagus di {city}", "mantap timnas menang dua kosong", "besok ujian doakan lancar ya",
    "kopi pagi ini enak banget", "nonton film baru di bioskop {city} seru", "mau beli hp baru bingung pilih",
    "hujan deras sejak sore listrik sempat padam sebentar", "jalan sore sama keluarga ke taman kota {city}",
]
GREETINGS = ["Assalamualaikum, info dari grup sebelah: ", "Copas dari grup. ", "Selamat pagi bapak ibu. ", ""]
CALLS = [". Sebarkan!", " Semoga bermanfaat", ". Ngeri banget hati2 ya", ""]


class Generator:
    """Fills the templates above with a seeded numpy Generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def pick(self, items: list[str]) -> str:
        return items[int(self.rng.integers(len(items)))]

    def name(self) -> str:
        return "".join(self.pick(SYLLABLES) for _ in range(int(self.rng.integers(2, 5)))).capitalize()

    def fill(self, template: str) -> str:
        if "{" not in template:
            return template
        r = self.rng
        return template.format(
            prov=self.pick(PROVINCES), city=self.pick(PLACES), name=f"{self.name()} {self.name()}",
            brand=self.pick(BRANDS), n=int(r.integers(1, 1000)), year=int(r.integers(2015, 2026)),
            herb=self.pick(HERBS), app=self.pick(APPS), reason=self.pick(REASONS), who=self.pick(WHO),
            date=f"{int(r.integers(1, 29))} {self.pick(MONTHS)} {int(r.integers(2019, 2026))}")

    def claim(self) -> str:
        body = " ".join(filter(None, (self.fill(self.pick(SUBJECTS)), self.pick(VERBS), self.fill(self.pick(OBJECTS)),
                                      self.fill(self.pick(TAILS)))))
        return self.pick(FRAMES).format(s=body)

    def post(self, claims: list[str]) -> str:
        if self.rng.random() < 0.3:
            return self.pick(GREETINGS) + self.pick(claims).lower() + self.pick(CALLS)
        return ". ".join(self.fill(self.pick(CHATTER)) for _ in range(int(self.rng.integers(1, 4))))


def synthetic(n_claims: int, n_posts: int, seed: int = 7) -> tuple[pd.DataFrame, list[str]]:
    gen = Generator(seed)
    texts = [gen.claim() for _ in range(n_claims)]
    frame = pd.DataFrame({"claim_id": [f"syn-{i}" for i in range(n_claims)], "text": texts,
                          "url": [f"https://cek.example/{i}" for i in range(n_claims)], "verdict": "salah"})
    return frame, [gen.post(texts) for _ in range(n_posts)]


def run(n_claims: int, n_posts: int, data_dir: Path | None, evaluate: bool) -> dict:
    claims, posts = synthetic(n_claims, n_posts)
    t0 = time.perf_counter()
    index = ClaimIndex(claims)
    build = time.perf_counter() - t0
    del index
    tracemalloc.start()  # a second build: tracing slows allocation, so it is not the timed one
    index = ClaimIndex(claims)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    search = index._search
    metadata = sum(sys.getsizeof(v) for arr in (index.claim_ids, index.titles, index.urls, index.verdicts)
                   for v in arr) + 4 * 8 * len(index)
    pickled = len(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
    index.match(posts[:200])  # warm-up
    t0 = time.perf_counter()
    ids, sims = index.search(posts, 5)
    seconds = time.perf_counter() - t0
    result = {
        "claims": n_claims, "posts": n_posts, "build_seconds": round(build, 2),
        "index_bytes": index.nbytes(), "index_mib": round(index.nbytes() / 2**20, 1),  # matrices, idf, df
        "claim_metadata_mib": round(metadata / 2**20, 1), "pickle_mib": round(pickled / 2**20, 1),
        "frequent_features": int(len(search.common_cols_)),
        "build_tracemalloc_peak_mib": round(peak / 2**20, 1),
        "match_seconds": round(seconds, 2), "posts_per_second": round(n_posts / seconds),
        "posts_at_or_above_match": round(float((sims[:, 0] >= index.match_threshold).mean()), 4),
    }
    # What a scan runs: each post's best claim at or above `suggest`.
    t0 = time.perf_counter()
    index.best_matches(posts)
    result["best_matches_posts_per_second"] = round(n_posts / (time.perf_counter() - t0))
    if data_dir is not None and data_dir.is_dir():
        real = real_posts(data_dir, n_posts)
        index.best_matches(real[:200])
        t0 = time.perf_counter()
        index.best_matches(real)
        result["real_best_matches_posts_per_second"] = round(len(real) / (time.perf_counter() - t0))
    if evaluate and data_dir is not None and data_dir.is_dir():
        result["evaluation"] = evaluate_claim_matching(data_dir)
    return result


def real_posts(data_dir: Path, n: int) -> list[str]:
    """`n` real posts as the scan benchmark makes them (two real texts joined; see corpus.generate_real)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = generate_real(Path(tmp) / "real.jsonl", n, data_dir)
        return [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--no-eval", action="store_true")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "claims.json")
    args = parser.parse_args(argv)
    result = run(args.claims, args.posts, config.data_dir(args.data_dir), not args.no_eval)
    rows = [(k, v) for k, v in result.items() if k != "evaluation"]
    if "evaluation" in result:
        ev = result["evaluation"]
        rec = ev["recall"]
        rows += [
            ("R@1 / R@5 index (test half)", f"{rec['index_test']['recall_at_1']} / {rec['index_test']['recall_at_5']}"),
            ("R@1 / R@5 baseline (test half)",
             f"{rec['baseline_test']['recall_at_1']} / {rec['baseline_test']['recall_at_5']}"),
            ("thresholds suggest / match", f"{ev['thresholds']['suggest']} / {ev['thresholds']['match']}"),
            ("held-out tweets >= match / suggest",
             f"{ev['false_match']['held_out_rate_at_match']} / {ev['false_match']['held_out_rate_at_suggest']}"),
        ]
        rows += [(f"R@1 {name} (index / baseline / +narratives)",
                  f"{v['index_r1']} / {v['baseline_r1']} / {v['index_with_narratives_r1']}")
                 for name, v in ev.get("robustness", {}).items()]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value:,}" if isinstance(value, int) else f"{key:<{width}}  {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
