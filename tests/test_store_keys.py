"""Free text sealed with a key per child: AES-256-GCM bound to the text's reference and child."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disruption.domain.events import PersonalText
from disruption.store.sql.keys import FORMAT, new_key, open_text, seal_text, sealed_rows

REF, CHILD = "P-1/4/reason", "C-1"


@given(st.text(), st.text(min_size=1), st.text(min_size=1))
def test_a_sealed_text_opens_with_its_key_ref_and_child(text: str, ref: str, child: str) -> None:
    key = new_key()
    sealed = seal_text(key, text, ref=ref, child=child)
    assert sealed.startswith(FORMAT)
    assert open_text(key, sealed, ref=ref, child=child) == text


def test_the_text_is_not_in_the_sealed_form_and_each_sealing_differs() -> None:
    key = new_key()
    first, second = (seal_text(key, "miss my brother", ref=REF, child=CHILD) for _ in range(2))
    assert first != second  # a fresh nonce each time
    for sealed in (first, second):
        assert b"miss my brother" not in base64.urlsafe_b64decode(sealed[len(FORMAT) :])


@pytest.mark.parametrize(
    ("ref", "child"),
    [("P-1/5/reason", CHILD), (REF, "C-2"), ('P-1/4/reason", "C-1', ""), ("", "")],
)
def test_a_text_moved_to_another_row_or_child_does_not_open(ref: str, child: str) -> None:
    key = new_key()
    assert (
        open_text(key, seal_text(key, "views", ref=REF, child=CHILD), ref=ref, child=child) is None
    )


def test_a_wrong_key_or_a_damaged_token_opens_nothing() -> None:
    key = new_key()
    sealed = seal_text(key, "views", ref=REF, child=CHILD)
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    assert open_text(new_key(), sealed, ref=REF, child=CHILD) is None
    assert open_text(key, flipped, ref=REF, child=CHILD) is None
    assert open_text(key, sealed[:20], ref=REF, child=CHILD) is None
    assert open_text(key, FORMAT + "not base64!", ref=REF, child=CHILD) is None
    assert open_text(key, "gAAAAABfernet", ref=REF, child=CHILD) is None  # an unknown format
    assert open_text("too short", sealed, ref=REF, child=CHILD) is None


def test_keys_are_random_and_of_256_bits() -> None:
    made = {new_key() for _ in range(50)}
    assert len(made) == 50
    assert {len(base64.urlsafe_b64decode(k)) for k in made} == {32}


def test_sealed_rows_seal_each_text_under_its_childs_key() -> None:
    texts = [
        PersonalText("P-1/4/reason", "C-1", "P-1", "reason", "first"),
        PersonalText("P-2/3/note", "C-2", "P-2", "note", "second"),
        PersonalText("P-1/6/note", "C-1", "P-1", "note", "third"),
    ]
    keys = {"C-1": new_key(), "C-2": new_key(), "C-3": new_key()}
    rows = sealed_rows(texts, keys)
    assert [r[:4] for r in rows] == [(t.ref, t.child, t.case, t.field) for t in texts]
    for t, row in zip(texts, rows, strict=True):
        assert open_text(keys[t.child], row[4], ref=t.ref, child=t.child) == t.text
    assert open_text(keys["C-2"], rows[0][4], ref=texts[0].ref, child="C-1") is None
