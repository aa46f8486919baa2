"""Reviewers sign in through the Cognito hosted UI: what the template declares, what the pages are told, the MFA
mark of leads and supervisors (the trigger on moto, with the README's enrolment commands as boto3 calls)."""
import importlib.util
import json
import re

import boto3
import pytest
from moto import mock_aws

from local.engine import LOCAL_STAGE_VARIABLES
from local.template import ROOT, Template, load_template
from loopgate.roles import MFA_CLAIM
from loopgate.web.http import SIGNIN_CLIENT_VARIABLE, SIGNIN_URL_VARIABLE, signin_page, staff_page

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
PAGES = [ROOT / "functions/reviewer_api/console.html", ROOT / "functions/leads_api/leads.html"]
HOSTED = {SIGNIN_URL_VARIABLE: "https://loopgate-1a2b3c4d.auth.eu-central-1.amazoncognito.com",
          SIGNIN_CLIENT_VARIABLE: "4pq0s1client7id"}


def _csp(html: str) -> str:
    return re.search(r'http-equiv="Content-Security-Policy"\s+content="([^"]+)"', html).group(1)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_on_a_stage_with_a_hosted_ui_may_reach_it_and_no_other_site(path):
    html = signin_page(staff_page(path), HOSTED)
    assert "connect-src 'self' https://loopgate-1a2b3c4d.auth.eu-central-1.amazoncognito.com;" in _csp(html)
    assert ('<meta name="loopgate-signin" data-url="https://loopgate-1a2b3c4d.auth.eu-central-1.amazoncognito.com"'
            ' data-client-id="4pq0s1client7id">') in html
    assert "default-src 'none'" in _csp(html) and "form-action 'none'" in _csp(html)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_a_page_without_a_hosted_ui_signs_in_with_dev_tokens_and_reaches_only_its_api(path):
    for variables in (None, {SIGNIN_URL_VARIABLE: "", SIGNIN_CLIENT_VARIABLE: ""}):
        html = signin_page(staff_page(path), variables)
        assert "connect-src 'self';" in _csp(html)
        assert '<meta name="loopgate-signin">' in html  # no hosted UI: signin.js shows the dev token form


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_both_pages_carry_the_one_shared_sign_in(path):
    html = staff_page(path)
    shared = (ROOT / "layers/shared/python/loopgate/web/signin.js").read_text(encoding="utf-8").rstrip("\n")
    assert shared in html and "shared: loopgate/web/signin.js" not in html
    assert "sessionStorage" not in html.replace(shared, "")  # the page keeps no token of its own
    assert "localStorage" not in html


@pytest.mark.parametrize("url", ["http://evil.example", "https://x.auth.eu-central-1.amazoncognito.com/login",
                                 "javascript:alert(1)", "https://a.example?x=1"])
def test_a_hosted_ui_that_is_not_an_https_origin_is_refused_naming_the_stage_variable(url):
    with pytest.raises(ValueError, match=SIGNIN_URL_VARIABLE):
        signin_page(staff_page(PAGES[0]), {**HOSTED, SIGNIN_URL_VARIABLE: url})


def test_a_client_id_that_could_break_out_of_the_page_is_refused():
    with pytest.raises(ValueError, match=SIGNIN_CLIENT_VARIABLE):
        signin_page(staff_page(PAGES[0]), {**HOSTED, SIGNIN_CLIENT_VARIABLE: '"><script>'})


# ---------------------------------------------------------------- template.yaml
def test_the_stage_tells_the_pages_the_hosted_ui_of_the_pools_domain_and_client():
    (api,) = [r for r in RESOURCES.values() if r["Type"] == "AWS::Serverless::Api"]
    variables = api["Properties"]["Variables"]
    assert set(variables) == set(LOCAL_STAGE_VARIABLES)  # the local engine blanks each: no hosted UI locally
    assert variables[SIGNIN_CLIENT_VARIABLE] == {"Ref": "ReviewerUserPoolClient"}
    assert variables[SIGNIN_URL_VARIABLE] == {
        "Fn::Sub": "https://${ReviewerUserPoolDomain}.auth.${AWS::Region}.amazoncognito.com"}
    domain = RESOURCES["ReviewerUserPoolDomain"]
    assert domain["Type"] == "AWS::Cognito::UserPoolDomain"
    assert domain["Properties"]["UserPoolId"] == {"Ref": "ReviewerUserPool"}
    outputs = TEMPLATE["Outputs"]
    assert outputs["SignInUrl"]["Value"] == variables[SIGNIN_URL_VARIABLE]
    assert outputs["ReviewerConsoleUrl"]["Value"]["Fn::Sub"].endswith("/${Stage}/console")


def test_the_domain_prefix_defaults_to_the_stack_name_and_its_id():
    template = Template(TEMPLATE, stack_name="loopgate-prod")
    chosen = RESOURCES["ReviewerUserPoolDomain"]["Properties"]["Domain"]["Fn::If"]
    assert chosen[0] == "HasSignInDomainPrefix" and chosen[1] == {"Ref": "SignInDomainPrefix"}
    name, stack_id_part = chosen[2]["Fn::Join"][1]
    assert template.resolve(name) == "loopgate-prod"
    pattern = re.compile(TEMPLATE["Parameters"]["SignInDomainPrefix"]["AllowedPattern"])
    assert pattern.match("") and pattern.match("loopgate-prod-1a2b3c4d") and not pattern.match("Loopgate")


def test_the_app_client_is_a_public_pkce_client_returning_only_to_the_staff_pages():
    client = RESOURCES["ReviewerUserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert client["AllowedOAuthFlowsUserPoolClient"] is True
    assert client["AllowedOAuthFlows"] == ["code"]
    assert client["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert client["SupportedIdentityProviders"] == ["COGNITO"]
    stage = "https://${LoopgateApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}"
    for key in ("CallbackURLs", "LogoutURLs"):
        urls = client[key]
        assert urls[:2] == [{"Fn::Sub": f"{stage}/console"}, {"Fn::Sub": f"{stage}/leads"}], key
        assert [u["Fn::If"][1]["Fn::Sub"] for u in urls[2:]] == ["${SignInPagesBaseUrl}/console",
                                                                   "${SignInPagesBaseUrl}/leads"], key
    units = client["TokenValidityUnits"]
    assert (client["IdTokenValidity"], units["IdToken"]) == (60, "minutes")
    assert (client["RefreshTokenValidity"], units["RefreshToken"]) == (720, "minutes")


def test_the_pool_offers_authenticator_apps_and_marks_tokens_through_the_trigger():
    pool = RESOURCES["ReviewerUserPool"]["Properties"]
    assert pool["MfaConfiguration"] == "OPTIONAL" and pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]
    assert pool["LambdaConfig"]["PreTokenGeneration"] == {"Fn::GetAtt": ["TokenClaimsFunction", "Arn"]}
    permission = RESOURCES["TokenClaimsPermission"]["Properties"]
    assert permission["Principal"] == "cognito-idp.amazonaws.com"
    assert permission["SourceArn"] == {"Fn::GetAtt": ["ReviewerUserPool", "Arn"]}
    assert TEMPLATE["Parameters"]["StaffMfa"]["Default"] == "leads-and-supervisors"
    for function in ("ReviewerApiFunction", "LeadsApiFunction", "TokenClaimsFunction"):
        assert RESOURCES[function]["Properties"]["Environment"]["Variables"]["STAFF_MFA"] == {"Ref": "StaffMfa"}


# ---------------------------------------------------------------- the trigger, on moto
@pytest.fixture(autouse=True)
def _settings_from_the_restored_environment():
    """A test here loads settings with STAFF_MFA set its way; the cache must not keep them for the handlers of the
    local stack other tests run in this process (a later MFA test saw 'optional' and let a lead in)."""
    yield
    from loopgate import wiring
    wiring.load_settings.cache_clear()
    wiring.cognito_idp.cache_clear()


def _trigger(monkeypatch, staff_mfa: str):
    monkeypatch.setenv("STAFF_MFA", staff_mfa)
    from loopgate import wiring
    wiring.load_settings.cache_clear()
    wiring.cognito_idp.cache_clear()
    spec = importlib.util.spec_from_file_location(f"token_claims_{staff_mfa}", ROOT / "functions/token_claims/app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Context:
    function_name, memory_limit_in_mb, function_version, aws_request_id = "token-claims", 128, "$LATEST", "r-1"
    invoked_function_arn = "arn:aws:lambda:eu-central-1:123456789012:function:token-claims"


def _token_event(pool_id: str, username: str, groups: list[str]) -> dict:
    """A Pre Token Generation event as Cognito sends it (trigger source and shape per the Cognito docs)."""
    return {"version": "1", "triggerSource": "TokenGeneration_HostedAuth", "region": "eu-central-1",
            "userPoolId": pool_id, "userName": username, "callerContext": {"clientId": "c"},
            "request": {"userAttributes": {"email": username},
                        "groupConfiguration": {"groupsToOverride": groups, "iamRolesToOverride": [],
                                               "preferredRole": None}},
            "response": {"claimsOverrideDetails": None}}


@pytest.fixture
def pool(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    with mock_aws():
        cognito = boto3.client("cognito-idp")
        pool_id = cognito.create_user_pool(PoolName="staff", MfaConfiguration="OPTIONAL")["UserPool"]["Id"]
        client = cognito.create_user_pool_client(
            UserPoolId=pool_id, ClientName="enrol",
            ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
        client_id = client["ClientId"]
        yield cognito, pool_id, client_id


def _enrol_an_authenticator(cognito, pool_id: str, client_id: str, email: str) -> None:
    """README, "MFA for leads and supervisors", as boto3 calls."""
    cognito.admin_create_user(UserPoolId=pool_id, Username=email, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=email, Password="Enrol-once-4711", Permanent=True)
    access = cognito.admin_initiate_auth(
        UserPoolId=pool_id, ClientId=client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": "Enrol-once-4711"})["AuthenticationResult"]["AccessToken"]
    assert cognito.associate_software_token(AccessToken=access)["SecretCode"]
    cognito.verify_software_token(AccessToken=access, UserCode="123456", FriendlyDeviceName="phone")
    cognito.admin_set_user_mfa_preference(UserPoolId=pool_id, Username=email,
                                          SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})


def test_a_lead_with_an_authenticator_gets_the_mark_and_one_without_does_not(pool, monkeypatch):
    cognito, pool_id, client_id = pool
    _enrol_an_authenticator(cognito, pool_id, client_id, "lena@example.com")
    cognito.admin_create_user(UserPoolId=pool_id, Username="leo@example.com", MessageAction="SUPPRESS")
    trigger = _trigger(monkeypatch, "leads-and-supervisors")

    marked = trigger.lambda_handler(_token_event(pool_id, "lena@example.com", ["leads"]), _Context())
    assert marked["response"]["claimsOverrideDetails"] == {"claimsToAddOrOverride": {MFA_CLAIM: "totp"}}
    unmarked = trigger.lambda_handler(_token_event(pool_id, "leo@example.com", ["supervisors"]), _Context())
    assert unmarked["response"]["claimsOverrideDetails"] is None
    json.dumps(marked)  # Cognito reads the answer as JSON


def test_reviewers_and_an_optional_policy_cost_no_call_to_the_pool(pool, monkeypatch):
    cognito, pool_id, _ = pool
    for staff_mfa, groups in (("leads-and-supervisors", ["reviewers", "senior"]), ("optional", ["leads"])):
        trigger = _trigger(monkeypatch, staff_mfa)
        # A user the pool does not know: a call to AdminGetUser would raise UserNotFoundException.
        answer = trigger.lambda_handler(_token_event(pool_id, "nobody@example.com", groups), _Context())
        assert answer["response"]["claimsOverrideDetails"] is None


def test_the_staff_pages_readme_commands_name_the_stack_outputs():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Reviewers: sign-in"):]
    for output in ("ReviewerUserPoolId", "SignInUrl", "ReviewerConsoleUrl", "ReviewerUserPoolEnrolClientId"):
        assert output in TEMPLATE["Outputs"], output
        assert output in section, output
    for command in ("admin-create-user", "admin-add-user-to-group", "associate-software-token",
                    "verify-software-token", "admin-set-user-mfa-preference"):
        assert f"aws cognito-idp {command}" in section, command
