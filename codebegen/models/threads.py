"""``ThreadTuner``: how many threads llama.cpp decodes with, chosen from measured step times.

llama.cpp's worker threads wait for each other by spinning, so the best count depends on what
else the machine is doing right now: on the 2-core machine, 2 threads decode ~90 tok/s when it
is quiet and ~1 tok/s when another process keeps one core busy, where 1 thread still does ~44
(BENCHMARKS.md "Model layer"). A fixed choice loses one way or the other, so the backend times
every 16-token window and keeps the faster of two counts (all cores, half of them), trying
the other one again every few windows because the neighbours come and go.
"""

from __future__ import annotations

from collections.abc import Callable

WINDOW = 16  # tokens per measurement
RETRY = 6  # windows between tries of the count not in use


class ThreadTuner:
    """Picks a thread count per window; ``apply(n)`` tells llama.cpp."""

    def __init__(self, apply: Callable[[int], None], most: int) -> None:
        self.choices = sorted({most, max(1, most // 2)}, reverse=True)
        self.apply = apply
        self.mean: dict[int, float] = {}  # thread count -> seconds per token, last measured
        # start with fewer: a wrong guess then costs a little speed, not a stall (the prompt's
        # batch runs on the current count before anything has been measured)
        self.current = self.choices[-1]
        self._steps: list[float] = []
        self._backoff = RETRY
        self._wait = 0  # windows until the count not in use is tried again
        self._probing = False  # the current count is being tried
        self.apply(self.current)

    def observe(self, seconds: float) -> None:
        """One decode step (a single token) took ``seconds``."""
        if len(self.choices) == 1:
            return
        self._steps.append(seconds)
        other = self._other()
        losing = len(self._steps) >= 2 and other in self.mean and min(self._steps) > 4 * self.mean[other]
        if len(self._steps) < WINDOW and not losing:  # a count that is clearly losing ends early
            return
        self.mean[self.current] = sorted(self._steps)[len(self._steps) // 2]  # median: one hiccup is no trend
        self._steps.clear()
        if other not in self.mean:
            self._switch(other, probe=True)  # never measured: try it once
        elif self.mean[other] < self.mean[self.current]:
            # a try that lost backs off (up to 64 windows); a change of regime resets the wait
            self._backoff = min(self._backoff * 2, 64) if self._probing else RETRY
            self._switch(other, probe=False)
        else:
            if self._probing:  # the count just tried won: keep it, and look again soon
                self._backoff, self._wait, self._probing = RETRY, RETRY, False
            self._wait -= 1
            if self._wait <= 0:
                self._switch(other, probe=True)  # the neighbours may have changed: measure again

    def _other(self) -> int:
        return next(c for c in self.choices if c != self.current)

    def _switch(self, n: int, *, probe: bool) -> None:
        self.current, self._wait, self._probing = n, self._backoff, probe
        self.apply(n)
