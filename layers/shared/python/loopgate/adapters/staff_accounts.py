"""The reviewers' user pool (Cognito), as the sign-in trigger reads it."""
from __future__ import annotations


def has_authenticator(cognito, user_pool_id: str, username: str) -> bool:
    """Whether the person has an authenticator app (TOTP) enabled: the pool (MFA optional) then asks for its code
    at every sign-in, so a token issued to them was signed in with it."""
    user = cognito.admin_get_user(UserPoolId=user_pool_id, Username=username)
    return "SOFTWARE_TOKEN_MFA" in (user.get("UserMFASettingList") or [])
