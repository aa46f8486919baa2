"""The local engine's clock: runs 1/scale times faster than the wall, for the handlers and the workflow alike."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime


class VirtualClock:
    """At scale 0.001 an hour passes in 3.6 s: a review's due time and the workflow's timeout agree.

    The scale may change while running; the clock then goes on from where it was, never back.
    """

    def __init__(self, get_scale: Callable[[], float]):
        self._get_scale = get_scale
        self._lock = threading.Lock()
        self._real0 = self._virtual0 = time.time()
        self._scale = self._current_scale()

    def _current_scale(self) -> float:
        return max(float(self._get_scale()), 1e-6)

    def time(self) -> float:
        with self._lock:
            real, scale = time.time(), self._current_scale()
            if scale != self._scale:
                self._virtual0 += (real - self._real0) / self._scale
                self._real0, self._scale = real, scale
            return self._virtual0 + (real - self._real0) / self._scale

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def advance(self, seconds: float) -> None:
        """Jumps ahead (tests of expiry); the workflow's running waits keep their own timers."""
        with self._lock:
            self._virtual0 += seconds


class _DatetimeModule:
    """Stands in for the `datetime` module inside moto's state code, so EnteredTime is virtual too."""

    def __init__(self, clock: VirtualClock):
        import datetime as real

        self._real = real
        self._clock = clock

        class _Datetime(real.datetime):
            @classmethod
            def now(cls, tz=None):
                moment = clock.now()
                return moment if tz is None or tz is real.UTC else moment.astimezone(tz)

        self.datetime = _Datetime

    def __getattr__(self, name):
        return getattr(self._real, name)


def install_virtual_clock(clock: VirtualClock) -> Callable[[], None]:
    """Points loopgate's clock and moto's state entry times at `clock`; returns the undo."""
    from moto.stepfunctions.parser.asl.component.state import state as moto_state

    import loopgate.clock

    previous_source, previous_datetime = loopgate.clock.source, moto_state.datetime
    loopgate.clock.source = clock.now
    moto_state.datetime = _DatetimeModule(clock)

    def undo() -> None:
        loopgate.clock.source = previous_source
        moto_state.datetime = previous_datetime
    return undo
