"""Time in one format, so that timeline keys written by Lambdas and by the workflow sort together."""
from collections.abc import Callable
from datetime import UTC, datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


# Where the time comes from: the system clock on AWS; the local engine sets its scaled clock here.
source: Callable[[], datetime] = _utc_now


def now() -> datetime:
    return source()


def epoch() -> int:
    """Seconds since 1970, for expiries compared in DynamoDB conditions."""
    return int(now().timestamp())


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, the format Step Functions uses for EnteredTime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_from_epoch(seconds: int) -> str:
    """An epoch (as stored for DynamoDB conditions) in the API's time format."""
    return iso(datetime.fromtimestamp(seconds, tz=UTC))


def now_iso() -> str:
    return iso(now())


def parse_iso(text: str) -> datetime:
    """Reads both our format and the workflow's (moto writes EnteredTime as +00:00 with microseconds)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
