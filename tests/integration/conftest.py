"""One local stack per test process: template.yaml on moto, time scaled so hours pass in seconds."""
import pytest

from local.apigateway import ApiGateway
from local.engine import LocalEngine
from local.server import LocalServer

from .stack import API_KEY, OTHER_API_KEY, Stack

TIME_SCALE = 0.001  # an hour of workflow time passes in 3.6 s


@pytest.fixture(scope="session")
def stack():
    # The hourly learning jobs would run every 3.6 s and trip guardrails on other tests' cases: the tests that
    # need them call POST /learning/runs and /guardrails/runs themselves. Likewise the follow-ups: 4 minutes into
    # a run they would message the customers of other tests' complaints; their tests run the job themselves.
    engine = LocalEngine(time_scale=TIME_SCALE, api_keys=[API_KEY, OTHER_API_KEY],
                         skip_schedules=("LearningJobsFunction", "AuditDigestFunction", "FollowUpsFunction"))
    server = LocalServer(engine, ApiGateway(engine), port=0)
    engine.public_base_url = server.url
    engine.start()
    server.start()
    yield Stack(engine, server)
    server.stop()
    engine.stop()


@pytest.fixture(autouse=True)
def _release_moto_threads():
    yield
    from moto.stepfunctions.parser.utils import TMP_THREADS

    TMP_THREADS.clear()


@pytest.fixture
def unscaled(stack):
    """Real time for this test: a 15-minute claim lease must not run out in 0.9 s while threads race."""
    stack.engine.time_scale = 1.0
    yield
    stack.engine.time_scale = TIME_SCALE


@pytest.fixture
def time_scale(stack):
    """Sets a faster (or slower) scale for the waits this test starts; restores the suite's scale after."""
    def set_scale(value: float) -> None:
        stack.engine.time_scale = value
    yield set_scale
    stack.engine.time_scale = TIME_SCALE
