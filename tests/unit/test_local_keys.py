"""`make dev`'s channel API keys: several, comma separated, or the single one of old."""
import pytest

from local.__main__ import channel_api_keys
from local.engine import LocalEngine


@pytest.mark.parametrize("environ, keys", [
    ({}, ["local-dev-key"]),
    ({"LOCAL_API_KEY": "solo"}, ["solo"]),
    ({"LOCAL_API_KEYS": "key1,key2"}, ["key1", "key2"]),
    ({"LOCAL_API_KEYS": " key1 , key2,key1, ", "LOCAL_API_KEY": "solo"}, ["key1", "key2"]),
])
def test_channel_keys_from_the_environment(environ, keys):
    assert channel_api_keys(environ) == keys


def test_a_list_of_only_commas_is_refused():
    with pytest.raises(SystemExit, match="LOCAL_API_KEYS"):
        channel_api_keys({"LOCAL_API_KEYS": " , "})


def test_the_single_key_argument_still_works():
    engine = LocalEngine(api_key="solo")
    assert engine.api_key == "solo" and list(engine.api_keys) == ["solo"]
    engine = LocalEngine(api_keys=["a", "b"])
    assert engine.api_key == "a" and len(set(engine.api_keys.values())) == 2


def test_a_skipped_schedule_must_name_a_scheduled_function():
    with pytest.raises(ValueError, match="skip_schedules: no scheduled function 'ScoreFunction'"):
        LocalEngine(skip_schedules=("ScoreFunction",))
    assert LocalEngine(skip_schedules=("LearningJobsFunction",)).skip_schedules == {"LearningJobsFunction"}
