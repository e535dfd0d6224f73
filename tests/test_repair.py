"""The repair of text broken by PDF extraction (figures/repair.py): what it mends, what it leaves
alone, that every position of the mended text maps back into the original, and that hostile text
costs one bounded pass."""
import random
import time

import pytest

from figures import extract
from figures.lexicon import load
from figures.repair import repair, split_run


def fixed(text: str) -> str:
    r = repair(text)
    return text if r is None else r.text


@pytest.mark.parametrize("broken,mended", [
    ("Ten people werekilled", "Ten people were killed"),
    ("Nearly2,000 people fledtheir homes", "Nearly 2,000 people fled their homes"),
    ("2,000people", "2,000 people"),
    ("killed12 people", "killed 12 people"),
    ("killed12people", "killed 12 people"),
    ("the toll rose to 1.5million.", "the toll rose to 1.5 million."),
    ("peoplewerekilled", "people were killed"),
    ("(wasdead)", "(was dead)"),
    ("Atleast 30", "At least 30"),
    ("Thepeople", "The people"),
    ("in- jured", "injured"),
    ("in-\njured", "injured"),
    ("in-\r\n  jured", "injured"),
    ("dis-\nplaced", "displaced"),
    ("in\u00adjured", "injured"),
    ("thou- sands of peo-\nple", "thousands of people"),
    ("Were- killed", "Were- killed"),      # both pieces words: a real hyphen, kept
    ("the deathtoll rose", "the death toll rose"),           # a trigger phrase run together
    ("they losttheirlives", "they lost their lives"),
    ("are expectedto bedisplaced", "are expected to be displaced"),
    ("two attacks.The first", "two attacks. The first"),     # a space lost after a full stop
    ("on Samos,two people", "on Samos, two people"),
    ("said eightMexicans died", "said eight Mexicans died"),       # a capital after a word
    ("in theAutonomous Region inAugust", "in the Autonomous Region in August"),
    ("130,000villagersinBihar", "130,000 villagers in Bihar"),
    ("ki-\nllingat least", "killing at least"),        # broken, and run together with the next
    ("have beendispla- ced", "have been displaced"),
    ("sixfollowing the", "six following the"),
    ("displaced were18,000 people", "displaced were 18,000 people"),
    ("displacedtens of tho-\nusands", "displaced tens of thousands"),
])
def test_mends_words_run_together_or_broken(broken, mended):
    assert fixed(broken) == mended


REAL = ("therefore Kilometre Nearly nearly into onto upon within without often overall afternoon "
        "together another however whereas nowhere someone anyone cannot Togo Herat Islamabad "
        "Kandahar Washington Aswan Isis skilled soldier studied deadline baffled therein thereby "
        "overkill Overton Tobe Anton Bethel Asher Heron townspeople lifeboats Beman Fedor Menon "
        "Allman antono bnason notif Noor Ison Sixto Tenby").split()


@pytest.mark.parametrize("word", REAL)
def test_never_cuts_a_real_word_or_name(word):
    assert split_run(word) is None
    assert repair(f"On Monday {word} 12 people were killed.") is None


def test_never_cuts_a_word_of_the_lists_or_a_kept_word():
    for name in ("repair_keep",):
        for w in load(name)["keep"]:
            assert split_run(w) is None and split_run(w.capitalize()) is None, w
    for w in load("repair")["function"] + load("triggers")["killed"]["terms"]:
        if w.isalpha():
            assert split_run(w) is None, w


@pytest.mark.parametrize("text", [
    "12th 10km 1990s COVID-19 H5N1 F16 MH17 G20 at5pm 10am 3D a3f9be12cd 2x4",
    "ALLCAPSWEREKILLED iPhone McDonald's werEkilled",
    "a well- known pre- and post-war long-\nterm plan",
    "see www.un.org.The page, e.g.The U.S.Army, 1,000 and 2.5, Xiph.Org, {a,b} a@b.org,cd",
    "iPhone eBay YouTube McDonald deGaulle receive.denyCurrentBranch and1000@x.org man3 day2",
    "Fighting in the north displaced more than 12,000 people last week, the UN said. "
    "At least 40 civilians were killed in Mosul, according to local officials.",
])
def test_normal_text_needs_no_repair(text):
    assert repair(text) is None


def _check_map(text: str):
    r = repair(text)
    assert r is not None
    inserted = 0
    for i, ch in enumerate(r.text):
        o = r.to_original(i)
        assert 0 <= o <= len(text)
        if o < len(text) and text[o] == ch:
            continue
        # an inserted space: it maps to the character after it, which follows at i + 1
        assert ch == " " and r.to_original(i + 1) == o, (i, ch, o)
        inserted += 1
    assert r.to_original(len(r.text)) == len(text)
    # the map never goes backwards
    assert all(r.to_original(i) <= r.to_original(i + 1) for i in range(len(r.text)))
    return r, inserted


def test_every_position_maps_back_into_the_original():
    text = ("Ten people werekilled.\nNearly2,000 people fledtheir homes; 35 were in-\njured and "
            "2,000people dis- placed, killed12 more in\u00adjured.")
    r, inserted = _check_map(text)
    assert r.text == ("Ten people were killed.\nNearly 2,000 people fled their homes; 35 were "
                      "injured and 2,000 people displaced, killed 12 more injured.")
    assert inserted == 5
    for word in ("killed", "2,000", "fled", "their", "injured", "displaced", "12"):
        start = 0
        while (i := r.text.find(word, start)) >= 0:
            a, b = r.span(i, i + len(word))
            assert text[a:b].replace("-", "").replace("\n", "").replace(" ", "") \
                .replace("\u00ad", "") == word
            start = i + 1
    assert r.slice(0, len("Ten people were killed.")) == "Ten people werekilled."


def test_the_map_holds_on_random_mixtures():
    rng = random.Random(7)
    pieces = ["werekilled", "fledtheir", "Nearly2,000", "2,000people", "killed12", "in- jured",
              "dis-\nplaced", "the", "people", "Mosul", "into", "12", ".", ",", "often", "\n"]
    for _ in range(200):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        if repair(text) is not None:
            _check_map(text)


def test_figures_point_into_the_original_text():
    text = ("Floods hit Sindh province on Monday. Ten people werekilled and Nearly2,000 people "
            "fledtheir homes, officials said. Another 35 were in-\njured when a wall collapsed.")
    figs = {f.category: f for f in extract(text)}
    assert {c: f.value for c, f in figs.items()} == {"killed": 10, "displaced": 2000,
                                                     "injured": 35}
    assert text[figs["killed"].start:figs["killed"].end] == "Ten people werekilled"
    assert text[figs["displaced"].start:figs["displaced"].end] == \
        "Nearly2,000 people fledtheir homes"
    assert figs["displaced"].number_text == "Nearly2,000"
    assert text[figs["injured"].start:figs["injured"].end] == "Another 35 were in-\njured"
    for f in figs.values():
        assert f.quote in text
        i = text.find(f.quote)
        assert i <= f.start and f.end <= i + len(f.quote)
    assert figs["injured"].quote == "Another 35 were in-\njured when a wall collapsed."


def test_a_text_without_repair_is_read_as_before():
    text = "At least 40 civilians were killed in Mosul, according to local officials."
    (f,) = extract(text)
    assert text[f.start:f.end].startswith("At least 40") and f.quote == text


HOSTILE = {       # about 300 KB each
    "glued words": "werekilled12people " * 16_000,
    "many distinct glued words": " ".join(a + b for a in load("repair")["function"]
                                          for b in ("killed", "fled", "dead", "injured", "people"))
                                 * 45,
    "breaks": "in- jured dis-\nplaced " * 15_000,
    "digits and letters": "1a2b3killed4" * 25_000,
    "a long run of letters": "werekilled" * 30_000,
    "hyphens": "a-" * 150_000,
    "soft hyphens": "in\u00ad" * 100_000,
    "runs of short pieces by numbers": ("1" + "in" * 15 + "2 " + "1" + "atat" * 7 + ", ") * 5_000,
    "full stops and commas": "attacks.The Samos,two " * 15_000,
}


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_text_costs_one_bounded_pass(name):
    text = HOSTILE[name]
    assert len(text) >= 250_000
    started = time.process_time()       # CPU time: a busy machine does not fail the test
    r = repair(text)
    assert time.process_time() - started < 10 * len(text) / 1e6
    if r is not None:
        assert r.to_original(len(r.text)) == len(text)


def test_hostile_text_through_the_engine_stays_bounded():
    text = "Ten people werekilled and 2,000people fledtheir homes. " * 5_000
    started = time.process_time()
    figs = extract(text)
    assert time.process_time() - started < 10 * len(text) / 1e6
    assert figs
    for f in figs[:50]:
        assert 0 <= f.start < f.end <= len(text) and f.quote in text
