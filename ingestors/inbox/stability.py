"""When is a file in the inbox complete? A size-stable check, as a pure tracker.

A writer that does not use the `.part`-then-rename convention is still writing while the
file's size or modification time changes. A file is taken as complete once its (size,
mtime) has not changed for `stable_s` seconds: either we have seen it unchanged that long,
or its mtime is already that old (so a backlog at start-up is not made to wait again).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FileStat:
    size: int
    mtime_ns: int

    @property
    def mtime(self) -> float:
        return self.mtime_ns / 1e9


def settled(stat: FileStat, *, now: float, stable_s: float) -> bool:
    """True if the file was last modified at least `stable_s` ago (and not in the future)."""
    return now - stat.mtime >= 0 and now - stat.mtime >= stable_s


class StabilityTracker:
    """Usage: call `observe` for every file at every scan; it says when the file is ready."""

    def __init__(self, stable_s: float) -> None:
        self.stable_s = stable_s
        self._seen: dict[str, tuple[FileStat, float]] = {}

    def observe(self, name: str, stat: FileStat, now: float) -> float | None:
        """None if the file is complete now; otherwise when to look again (epoch seconds)."""
        previous = self._seen.get(name)
        if previous is None or previous[0] != stat:
            self._seen[name] = (stat, now)
            since = now
        else:
            since = previous[1]
        if settled(stat, now=now, stable_s=self.stable_s) or now - since >= self.stable_s:
            return None
        return since + self.stable_s

    def keep_only(self, names: set[str]) -> None:
        """Forget files that are gone."""
        for name in [n for n in self._seen if n not in names]:
            del self._seen[name]
