from nvrd.auth.lockout import Lockout


class FakeMonotonic:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_locks_after_max_failures_within_window() -> None:
    clock = FakeMonotonic()
    lk = Lockout(max_failures=3, window=60, lockout=30, monotonic=clock)
    assert not lk.failure("a")
    assert not lk.failure("a")
    assert lk.locked_for("a") == 0
    assert lk.failure("a")
    assert lk.locked_for("a") == 30
    assert lk.locked_for("b") == 0  # other clients are not affected
    clock.t += 29
    assert 0 < lk.locked_for("a") <= 1
    clock.t += 1
    assert lk.locked_for("a") == 0


def test_failures_outside_window_do_not_count() -> None:
    clock = FakeMonotonic()
    lk = Lockout(max_failures=3, window=10, lockout=30, monotonic=clock)
    lk.failure("a")
    lk.failure("a")
    clock.t += 11
    assert not lk.failure("a")
    assert lk.locked_for("a") == 0


def test_success_clears() -> None:
    clock = FakeMonotonic()
    lk = Lockout(max_failures=2, window=60, lockout=30, monotonic=clock)
    lk.failure("a")
    lk.success("a")
    assert not lk.failure("a")


def test_memory_is_bounded() -> None:
    clock = FakeMonotonic()
    lk = Lockout(max_failures=5, window=1, lockout=1, monotonic=clock)
    for i in range(25_000):
        lk.failure(f"c{i}")
        clock.t += 0.001
    assert len(lk._clients) <= 10_000
