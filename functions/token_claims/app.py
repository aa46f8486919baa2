"""Cognito Pre Token Generation trigger: marks the ID tokens of staff who sign in with an authenticator app."""
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from loopgate.adapters.staff_accounts import has_authenticator
from loopgate.roles import MFA_CLAIM, MFA_GROUPS
from loopgate.wiring import StaffSettings, cognito_idp, load_settings

logger = Logger()
SETTINGS = load_settings(StaffSettings)


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    groups = (event["request"].get("groupConfiguration") or {}).get("groupsToOverride") or []
    # Only the groups that need it cost a call to the pool: everyone else signs in even while Cognito throttles.
    if SETTINGS.staff_mfa == "leads-and-supervisors" and set(groups) & set(MFA_GROUPS):
        if has_authenticator(cognito_idp(), event["userPoolId"], event["userName"]):
            event["response"]["claimsOverrideDetails"] = {"claimsToAddOrOverride": {MFA_CLAIM: "totp"}}
        else:
            logger.info("staff member without an authenticator app signed in", extra={"groups": sorted(groups)})
    return event
