"""Task tokens as on AWS: a callback and the task's timeout exclude each other, and a late callback fails."""

# Dev-only, never deployed. moto 5.2.5 lets a send_task_success that arrives as a
# .waitForTaskToken task times out answer 200 while the timeout path runs anyway;
# on AWS the call fails with TaskTimedOut. The application relies on that error to
# tell a reviewer "too late" instead of losing the decision.
#
# The moto internals relied on (private, checked against moto 5.2.5):
#   * asl.eval.callback.callback.CallbackEndpoint: one per task token, shared by
#     the waiting task and moto's send_task_success/send_task_failure (through
#     CallbackPoolManager.notify -> endpoint.notify). `_outcome` and
#     `_notify_event` are its state; `wait(timeout)` is the task's wait for the
#     outcome (None when it timed out). Nothing locks them.
#   * Two timers end a token wait: ExecutionState._evaluate_with_timeout waits
#     TimeoutSeconds for the task's frame and raises EvalTimeoutError (the outer
#     timer, the one that fires first), and the frame's own
#     CallbackEndpoint.wait(TimeoutSeconds) started a little later. Either one
#     may decide "timed out" while a callback is being stored.
#   * StepFunctionsParserBackend.send_task_success/send_task_failure pass any
#     exception from CallbackPoolManager.notify other than
#     CallbackNotifyConsumerError up to the response layer, which answers a
#     moto.core.exceptions.AWSError with its type as the AWS error code. (moto's
#     own TaskTimedOut path there cannot work: it compares the wrong object, and
#     its parser.api.TaskTimedOut() lacks the message AWSError requires.)
#
# What changes: every endpoint settles once, under one lock: either an outcome is
# stored (a callback won) or it is closed (a timer won). A timer that finds an
# outcome already stored lets the task finish with it; a callback that finds the
# endpoint closed, or an outcome already stored, fails with TaskTimedOut, which is
# what AWS answers for a token whose task no longer waits.
# Not covered: HeartbeatSeconds expiry (the project's ASL sets none) and activities.

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any

_CLOSED = "_loopgate_closed"
# One lock for all endpoints: it is held for a few attribute reads and writes only.
_settle = threading.Lock()


def exclusive_callbacks() -> list[tuple[Any, str, Callable]]:
    """The (owner, name, replacement) patches, for the engine to install and undo with its others."""
    from moto.core.exceptions import AWSError
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
    from moto.stepfunctions.parser.asl.component.state.exec import execute_state
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint
    from moto.stepfunctions.parser.utils import TMP_THREADS

    original_notify = CallbackEndpoint.notify

    def notify(self, outcome):
        with _settle:
            if getattr(self, _CLOSED, False) or self._outcome is not None:
                raise AWSError("Task Timed Out: 'Provided task does not exist anymore'", "TaskTimedOut")
            original_notify(self, outcome)

    def wait(self, timeout: float | None = None):
        self._notify_event.wait(timeout=timeout)
        with _settle:
            if self._outcome is None:
                setattr(self, _CLOSED, True)
            return self._outcome

    def close_unless_answered(endpoint) -> bool:
        """True if the timer wins; False if a callback was stored first (the task then ends with it)."""
        with _settle:
            if endpoint._outcome is not None:
                return False
            setattr(endpoint, _CLOSED, True)
            return True

    def token_endpoint(state, env):
        if not (isinstance(state, StateTaskServiceCallback)
                and state.resource.condition == ResourceCondition.WaitForTaskToken):
            return None
        token = env.states.context_object.context_object_data.get("Task", {}).get("Token")
        return env.callback_pool_manager.get(token) if token else None

    def _evaluate_with_timeout(self, env) -> None:
        # moto 5.2.5's ExecutionState._evaluate_with_timeout, unchanged but for the lines marked "loopgate".
        endpoint = token_endpoint(self, env)  # loopgate
        self.timeout.eval(env=env)
        timeout_seconds: int = env.stack.pop()

        frame = env.open_frame()
        frame.states.reset(input_value=env.states.get_input())
        frame.stack = copy.deepcopy(env.stack)
        execution_outputs: list[Any] = []
        execution_exceptions: list[Exception | None] = [None]
        terminated_event = threading.Event()

        def _exec_and_notify():
            try:
                self._eval_execution(frame)
                execution_outputs.extend(frame.stack)
            except Exception as ex:
                execution_exceptions.append(ex)
            terminated_event.set()

        thread = threading.Thread(target=_exec_and_notify, daemon=True)
        TMP_THREADS.append(thread)
        thread.start()

        finished_on_time: bool = terminated_event.wait(timeout_seconds)
        if not finished_on_time and endpoint is not None and not close_unless_answered(endpoint):  # loopgate
            # The callback came first: its sender was told it succeeded, so the task ends with it.
            finished_on_time = terminated_event.wait()  # loopgate
        frame.set_ended()
        env.close_frame(frame)

        execution_exception = execution_exceptions.pop()
        if execution_exception:
            raise execution_exception

        if not finished_on_time:
            raise EvalTimeoutError()

        execution_output = execution_outputs.pop()
        env.stack.append(execution_output)

        if not self._is_language_query_jsonpath():
            env.states.set_result(execution_output)

        if self.assign_decl:
            self.assign_decl.eval(env=env)

        if self.result_selector:
            self.result_selector.eval(env=env)

        if self.result_path:
            self.result_path.eval(env)
        else:
            res = env.stack.pop()
            env.states.reset(input_value=res)

    return [(CallbackEndpoint, "notify", notify), (CallbackEndpoint, "wait", wait),
            (execute_state.ExecutionState, "_evaluate_with_timeout", _evaluate_with_timeout)]
