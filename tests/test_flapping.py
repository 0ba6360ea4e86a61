"""Tests for ingest.sources.flapping: flapping entries are damped, each source keeps to its
budget."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ingest.sources.flapping import FLAP_WINDOW, GONE, Change, ChangeDamper


class Source:
    """One source's entries as the stream has them, driven poll by poll through a damper."""

    def __init__(self, damper: ChangeDamper) -> None:
        self.damper = damper
        self.on_stream: dict[str, str] = {}
        self.appended: list[tuple[str, str]] = []

    def poll(self, shown: dict[str, str], now: float, *, applied: bool = True) -> set[str]:
        """A poll showing ``shown`` (uid -> content); what it appends (all, if ``applied``)."""
        changes = [
            Change(uid, self.on_stream.get(uid), content)
            for uid, content in shown.items()
            if self.on_stream.get(uid) != content
        ]
        changes += [
            Change(uid, content, GONE)
            for uid, content in self.on_stream.items()
            if uid not in shown and content != GONE
        ]
        admission = self.damper.admit(changes, now=now)
        if not applied:
            return set()
        for change in changes:
            if change.uid in admission.admitted:
                self.on_stream[change.uid] = change.after
                self.appended.append((change.uid, change.after))
        self.damper.commit(admission, now=now)
        return set(admission.admitted)


def damper(capacity: float = 1_000, refill: float = 0.0) -> ChangeDamper:
    """A damper with a budget that does not get in the way unless asked."""
    return ChangeDamper(capacity=capacity, refill=refill)


def test_a_first_edit_is_immediate_and_a_flip_back_waits_one_stable_poll() -> None:
    """A -> B appends at once; B -> A (a flap) waits until A is shown twice in a row."""
    source = Source(damper())
    assert source.poll({"e": "A"}, 0) == {"e"}
    assert source.poll({"e": "B"}, 1) == {"e"}
    assert source.poll({"e": "A"}, 2) == set()
    assert source.damper.flapping(2) == ["e"]
    assert source.poll({"e": "A"}, 3) == {"e"}
    assert source.on_stream["e"] == "A"
    # Flapping again within the window: stable or not, one change a window.
    assert source.poll({"e": "B"}, 4) == set()
    assert source.poll({"e": "B"}, 5) == set()
    assert source.poll({"e": "B"}, 3 + FLAP_WINDOW) == {"e"}
    # Settled: a window later the entry is no longer flapping, and edits are immediate again.
    later = 3 + 3 * FLAP_WINDOW
    assert source.damper.flapping(later) == []
    assert source.poll({"e": "C"}, later) == {"e"}


def test_an_entry_flipping_every_poll_appends_nothing_more() -> None:
    """500 entries flipping each poll, 0.1 s apart: each appends its add and its first edit."""
    source = Source(damper())
    for poll in range(300):
        version = "A" if poll % 2 == 0 else "B"
        source.poll({f"e{i}": version for i in range(500)}, poll * 0.1)
    assert len(source.appended) == 1_000
    assert len(source.damper.flapping(30)) == 500


def test_an_entry_coming_and_going_is_damped_too() -> None:
    """Present, gone, present...: one delete, then nothing while it keeps coming and going."""
    source = Source(damper())
    source.poll({"e": "A", "f": "F"}, 0)
    for poll in range(1, 40):
        source.poll({"f": "F"} if poll % 2 else {"e": "A", "f": "F"}, poll * 0.5)
    assert [content for uid, content in source.appended if uid == "e"] == ["A", GONE]


def test_a_held_change_that_was_not_applied_is_no_flap() -> None:
    """An admission never committed (the append failed) records nothing."""
    source = Source(damper())
    source.poll({"e": "A"}, 0)
    assert source.poll({"e": "B"}, 1, applied=False) == set()
    assert source.poll({"e": "B"}, 2) == {"e"}
    assert source.damper.flapping(2) == []


def test_the_budget_holds_changes_and_serves_the_longest_waiting_first() -> None:
    """Changes of known entries spend the budget; new entries never wait; nothing is lost."""
    source = Source(damper(capacity=3, refill=1.0))
    source.poll({f"e{i}": "v0" for i in range(6)}, 0)  # six new entries: no budget spent
    assert len(source.appended) == 6
    first = source.poll({f"e{i}": "v1" for i in range(6)}, 0)
    assert first == {"e0", "e1", "e2"}
    # Two seconds later: two tokens, for the two that waited longest (e3, e4), not e0 again.
    second = source.poll({f"e{i}": "v2" for i in range(6)}, 2)
    assert second == {"e3", "e4"}
    third = source.poll({f"e{i}": "v2" for i in range(6)}, 5)
    assert third == {"e5", "e0", "e1"}
    assert source.poll({"new": "x", **{f"e{i}": "v2" for i in range(6)}}, 5) >= {"new"}


def test_changes_extraction_alone_makes_are_never_held() -> None:
    """A change whose raw content is the same (re-extracted) passes, budget or not."""
    damper_ = damper(capacity=0)
    admission = damper_.admit([Change("e", "A", "A")], now=0)
    assert admission.admitted == {"e"}
    assert admission.held == 0


def test_the_budget_follows_the_streams_retention() -> None:
    """A tenth of maxlen at once, a quarter of it a day."""
    budget = ChangeDamper.for_stream(100_000)
    assert budget.tokens(0) == 10_000
    assert round(budget.refill * 86_400) == 25_000


@given(
    st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(["e1", "e2", "e3"]), st.sampled_from("ABC")),
            st.floats(min_value=0.01, max_value=30),
        ),
        max_size=40,
    ),
    st.dictionaries(st.sampled_from(["e1", "e2", "e3"]), st.sampled_from("ABC")),
    st.integers(min_value=1, max_value=5),
)
def test_whatever_a_page_does_its_last_content_reaches_the_stream(
    polls: list[tuple[dict[str, str], float]], final: dict[str, str], capacity: int
) -> None:
    """Nothing is lost by waiting: once the page settles, the stream shows what it shows."""
    source = Source(ChangeDamper(capacity=capacity, refill=0.5))
    now = 0.0
    for shown, step in polls:
        now += step
        source.poll(shown, now)
    for _ in range(10):
        now += FLAP_WINDOW / 2
        source.poll(final, now)
    assert {uid: c for uid, c in source.on_stream.items() if c != GONE} == final
