"""Scale Step Functions time (Wait, Retry, Timeout, Heartbeat) in moto's local ASL interpreter."""

# Dev-only: lets tests run a 24-hour workflow in seconds. Never deployed. The
# scale is a setting of the local engine, never of the ASL, so the state
# machine definitions stay exactly as they run on AWS.
#
# moto's interpreter sleeps in real time in four places; this module patches
# each one as narrowly as it can (all private moto internals, checked against
# moto 5.2.5):
#   * Timeout._eval_body / Heartbeat._eval_body: the single base-class methods
#     that push TimeoutSeconds(Path) and HeartbeatSeconds(Path) onto the
#     evaluation stack. Every consumer (the task's timeout thread, the
#     .waitForTaskToken callback wait, the heartbeat endpoint, activities)
#     pops the value from there, so wrapping them scales all of them at once.
#   * WaitFunction._wait_interval: the wait loop shared by Seconds,
#     SecondsPath, Timestamp and TimestampPath.
#   * the `time` name inside retrier_decl: RetrierDecl sleeps there with
#     time.sleep(interval) after interval/backoff/max-delay/jitter are applied.

from __future__ import annotations

import threading
import time as _real_time
from collections.abc import Callable
from typing import Any

# A factor of 0 would make every task time out at once (the wait returns
# immediately), so scaled timeouts and heartbeats never go below this.
MIN_TIMEOUT_SECONDS = 0.05

# Marks everything this module installed, so a second install (or an install
# after importlib.reload of this module) finds the patch and does not wrap the
# wrapper.
_MARKER = "_loopgate_timescale"

_install_lock = threading.Lock()


class _FactorSource:
    """Holds the current get_factor; all patches read it at each use."""

    def __init__(self, get_factor: Callable[[], float]):
        self.get_factor = get_factor

    def factor(self) -> float:
        # Read at every use so a test can change the scale between (or during)
        # executions. Negative makes no sense for time; treat it as 0.
        return max(float(self.get_factor()), 0.0)

    def scale_timeout(self, seconds: Any) -> Any:
        factor = self.factor()
        if factor == 1.0:
            # Unscaled: keep moto's int so history events look as before.
            return seconds
        return max(seconds * factor, MIN_TIMEOUT_SECONDS)


class _ScaledSleepTime:
    """Stands in for the `time` module inside retrier_decl; only sleep is scaled."""

    def __init__(self, source: _FactorSource):
        setattr(self, _MARKER, source)

    def sleep(self, seconds: float) -> None:
        _real_time.sleep(max(seconds * getattr(self, _MARKER).factor(), 0.0))

    def __getattr__(self, name: str) -> Any:
        # Anything else retrier_decl might use from `time` stays real.
        return getattr(_real_time, name)


def install_time_scale(get_factor: Callable[[], float]) -> None:
    """Patch moto's ASL interpreter so workflow time runs at get_factor() x wall time.

    Idempotent: a second call only replaces the factor source.
    """
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.common.timeouts.heartbeat import (
        Heartbeat,
    )
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import (
        Timeout,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    with _install_lock:
        existing = getattr(Timeout._eval_body, _MARKER, None)
        if existing is not None:
            existing.get_factor = get_factor
            return
        source = _FactorSource(get_factor)

        # Timeout / Heartbeat: let moto evaluate the seconds (literal, path,
        # validation, errors) unchanged, then replace the value it pushed.
        def _wrap_seconds_push(original):
            def _eval_body(self, env):
                original(self, env)
                env.stack.append(source.scale_timeout(env.stack.pop()))

            setattr(_eval_body, _MARKER, source)
            return _eval_body

        Timeout._eval_body = _wrap_seconds_push(Timeout._eval_body)
        Heartbeat._eval_body = _wrap_seconds_push(Heartbeat._eval_body)

        # Wait: the method is replaced, not wrapped, because moto's version
        # re-enters itself for the remainder computed with int() rounding; with
        # fractional (scaled) seconds that remainder never reaches 0 and it
        # would loop forever. wait_seconds (from _get_wait_seconds, incl. the
        # Timestamp delta to now) stays unscaled workflow time.
        def _wait_interval(self, env, wait_seconds):
            scaled = wait_seconds * source.factor()
            if scaled <= 0:
                return
            deadline = _real_time.monotonic() + scaled
            while True:
                remaining = deadline - _real_time.monotonic()
                if remaining <= 0:
                    return
                # program_state_event pulses when the execution ends, errors
                # or is stopped; as in moto, keep waiting on unrelated pulses.
                env.program_state_event.wait(remaining)
                if not env.is_running():
                    return

        setattr(_wait_interval, _MARKER, source)
        WaitFunction._wait_interval = _wait_interval

        # Retry: the interval is computed on the eval stack by four decls
        # (IntervalSeconds, BackoffRate, MaxDelaySeconds, Jitter) and only
        # consumed by the time.sleep call in RetrierDecl._eval_body; scaling
        # that sleep leaves the retry arithmetic untouched.
        retrier_decl.time = _ScaledSleepTime(source)
