"""The copy key of a queued post: the hash of its text with case, links, mentions, punctuation and spacing ignored."""

from __future__ import annotations

import hashlib
import re

import pytest

from pipeline.store.queue_facets import copy_key


def _defined_key(text: str) -> str:
    links = re.compile(r"https?://\S+|www\.\S+|@\w+", re.IGNORECASE)
    core = re.sub(r"[\W_]+", " ", links.sub(" ", text.casefold())).strip()
    return hashlib.sha256(core.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("text", [
    "Lihat HTTP://Bit.ly/ABC sekarang!!", "HTTPS://X.CO/a b", "Buka WWW.Contoh.COM ya", "@AkunBesar bilang: hoaks",
    "ſtop Https://ſite.id ſekarang", "ẞtraße STRASSE", "Kelvin \u212a 10\u212a", "ǅemal ﬁlm", "", "   ",
    "HtTp://campur.CASE/xyz dan wWw.Lain.Org/ @MenTion_1",
])
def test_copy_key_is_its_definition(text):
    assert copy_key(text) == _defined_key(text)


def test_reposts_differing_in_case_links_and_mentions_share_a_key():
    assert copy_key("Vaksin BERISI chip!! https://a.id/1 @budi") == copy_key("vaksin berisi chip HTTP://b.id/2 @Ani")
    assert copy_key("vaksin berisi chip") != copy_key("vaksin tidak berisi chip")
