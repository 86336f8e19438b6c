"""``metadata.name``s from the names people typed: valid, unique, independent of order."""

from __future__ import annotations

import random

import pytest

from genesys_compliance.export import fold_name
from genesys_compliance.export._names import assign_names
from genesys_compliance.kinds import NAME_PATTERN


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Technical Support", "technical-support"),
        ("Billing \u2013 EMEA", "billing-emea"),
        ("BILLING_EMEA", "billing-emea"),
        ("  --Billing//EMEA--  ", "billing-emea"),
        ("Atención al Cliente \u2014 México", "atencion-al-cliente-mexico"),
        ("Straße & Co", "strasse-co"),
        ("Ærø Færgeservice", "aero-faergeservice"),
        ("Łódź", "lodz"),
        ("Support \U0001f680 Launch", "support-launch"),
        ("\u30b5\u30dd\u30fc\u30c8", "fallback"),
        ("", "fallback"),
        ("7 Day Queue", "7-day-queue"),
    ],
)
def test_names_fold_to_ascii_words(typed: str, folded: str) -> None:
    assert fold_name(typed, "fallback") == folded


def test_a_long_name_is_cut_to_63_without_a_trailing_dash() -> None:
    name = fold_name("a" * 62 + " tail", "x")
    assert name == "a" * 62
    assert NAME_PATTERN.match(fold_name("word " * 40, "x"))


def test_a_fallback_must_itself_be_a_name() -> None:
    with pytest.raises(ValueError, match=r"not a valid metadata\.name"):
        fold_name("", "Not A Name")


def test_collisions_get_a_suffix_from_the_key_whatever_the_order() -> None:
    wanted = {f"id={i}": "billing-emea" for i in range(5)} | {"id=9": "sales"}
    names = assign_names(wanted)
    assert len(set(names.values())) == 6
    assert names["id=0"] == "billing-emea"  # the key that sorts first keeps the bare name
    assert names["id=9"] == "sales"
    for key in ("id=1", "id=2", "id=3", "id=4"):
        assert names[key].startswith("billing-emea-")
        assert len(names[key]) == len("billing-emea-") + 6
    shuffled = list(wanted.items())
    random.Random(1).shuffle(shuffled)
    assert assign_names(dict(shuffled)) == names


def test_a_suffixed_name_never_takes_a_name_someone_has() -> None:
    first = assign_names({"a": "q", "b": "q"})
    taken = first["b"]  # what "b" gets when nothing is in the way
    names = assign_names({"a": "q", "b": "q", "c": taken})
    assert names["c"] == taken
    assert names["b"] not in {"q", taken}
    assert names["b"].startswith("q-")


def test_long_names_keep_room_for_the_suffix() -> None:
    long = fold_name("x" * 80, "f")
    names = assign_names({"k1": long, "k2": long})
    assert all(len(n) <= 63 and NAME_PATTERN.match(n) for n in names.values())
    assert len(set(names.values())) == 2
