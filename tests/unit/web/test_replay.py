"""The replay guard: a signature is admitted once per window, retries with its key excepted."""

from hypothesis import given
from hypothesis import strategies as st

from ingestors.web.replay import Admission, ReplayGuard

T = 1_800_000_000.0


def test_a_signature_is_admitted_once_and_then_refused() -> None:
    guard = ReplayGuard()
    assert guard.admit("s1", key=None, expires_at=T + 300, now=T) is Admission.NEW
    assert guard.admit("s1", key=None, expires_at=T + 300, now=T + 1) is Admission.REPLAY
    assert guard.admit("s2", key=None, expires_at=T + 300, now=T + 1) is Admission.NEW


def test_only_a_retry_with_the_first_key_goes_through() -> None:
    guard = ReplayGuard()
    assert guard.admit("s", key="k1", expires_at=T + 300, now=T) is Admission.NEW
    assert guard.admit("s", key="k1", expires_at=T + 300, now=T + 5) is Admission.RETRY
    assert guard.admit("s", key="k2", expires_at=T + 300, now=T + 5) is Admission.REPLAY
    assert guard.admit("s", key=None, expires_at=T + 300, now=T + 5) is Admission.REPLAY
    # A first use without a key has nothing a retry could match.
    assert guard.admit("u", key=None, expires_at=T + 300, now=T) is Admission.NEW
    assert guard.admit("u", key="k1", expires_at=T + 300, now=T) is Admission.REPLAY


def test_a_signature_is_forgotten_once_its_window_has_passed() -> None:
    guard = ReplayGuard()
    guard.admit("s", key=None, expires_at=T + 300, now=T)
    assert guard.admit("s", key=None, expires_at=T + 300, now=T + 300) is Admission.REPLAY
    guard.admit("other", key=None, expires_at=T + 900, now=T + 301)
    assert len(guard) == 1  # "s" expired; the authenticator refuses its timestamp anyway


def test_a_forgotten_signature_may_come_again() -> None:
    guard = ReplayGuard()
    guard.admit("s", key=None, expires_at=T + 300, now=T)
    guard.forget("s")
    assert guard.admit("s", key=None, expires_at=T + 300, now=T + 1) is Admission.NEW
    guard.forget("never seen")  # harmless


def test_the_guard_is_bounded_and_drops_what_expires_first() -> None:
    guard = ReplayGuard(max_entries=3)
    for n, expires in enumerate([T + 50, T + 10, T + 30, T + 40]):
        assert guard.admit(f"s{n}", key=None, expires_at=expires, now=T) is Admission.NEW
    assert len(guard) == 3
    assert guard.admit("s1", key=None, expires_at=T + 10, now=T) is Admission.NEW  # dropped
    assert guard.admit("s0", key=None, expires_at=T + 50, now=T) is Admission.REPLAY


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c", "d"]),
            st.sampled_from(["admit", "forget"]),
            st.integers(0, 20),
        ),
        max_size=60,
    )
)
def test_the_guard_agrees_with_a_plain_model(steps: list[tuple[str, str, int]]) -> None:
    """Admissions and forgets in any order, time going forward: the guard says NEW exactly
    when a plain dictionary of live signatures does not hold the signature."""
    guard = ReplayGuard(max_entries=10)
    live: dict[str, float] = {}
    now = T
    for signature, action, step in steps:
        now += step
        live = {s: e for s, e in live.items() if e >= now}
        if action == "forget":
            guard.forget(signature)
            live.pop(signature, None)
            continue
        got = guard.admit(signature, key=None, expires_at=now + 30, now=now)
        assert (got is Admission.NEW) == (signature not in live)
        live.setdefault(signature, now + 30)
