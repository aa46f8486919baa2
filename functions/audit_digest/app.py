"""Evidence seal (daily): seals the timelines and override logs written since the last run and puts their signed
digest in the Object Lock bucket (docs/audit.md)."""
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.usecases import sealing
from loopgate.wiring import EvidenceSettings, StoreSettings, digest_archive, load_settings, sealing_tables

logger = Logger()
tracer = Tracer()
metrics = Metrics()


class AuditDigestSettings(StoreSettings, EvidenceSettings):
    """What this function reads from its environment, checked when the container starts."""


SETTINGS = load_settings(AuditDigestSettings)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    sealed = sealing.seal(sealing_tables(), digest_archive())
    metrics.add_metric(name="EvidenceItemsSealed", unit=MetricUnit.Count, value=sealed["sealedItems"])
    # A break found while sealing alarms (EvidenceChainsBrokenAlarm); `make verify-audit` tells the whole story.
    metrics.add_metric(name="EvidenceChainsBroken", unit=MetricUnit.Count, value=len(sealed["broken"]))
    for found in sealed["broken"]:  # case ids, keys (times, event types) and why: no personal data
        logger.warning("evidence chain broken", extra=found)
    logger.info("evidence sealed", extra={k: v for k, v in sealed.items() if k != "broken"})
    return sealed
