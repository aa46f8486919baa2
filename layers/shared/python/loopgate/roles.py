"""The names people work under, once: reviewer queues are Cognito groups of the same name.

template.yaml declares these groups, authority.json gives some of them authority, journeys route to them;
tests/unit/test_names.py holds every one of those lists to this one.
"""
REVIEWERS = "reviewers"  # a journey's default review queue
SENIOR = "senior"  # where reviews go when they run out of time, and where failed scoring lands
SUPERVISORS = "supervisors"  # the top of the escalation ladder; alerted when a senior review runs out of time
AUDIT = "audit"  # audits of automatic cases, after the fact
LEADS = "leads"  # read the override log
FRAUD = "fraud"  # hold the fraud capability (authority.json)
LEGAL = "legal"  # hold the legal capability
CARE = "care"  # hold the capability for customers in a vulnerable situation
QA = "qa"  # score sampled bot conversations against the QA scorecard (policy/qa.json)

GROUPS = (REVIEWERS, SENIOR, SUPERVISORS, AUDIT, LEADS, FRAUD, LEGAL, CARE, QA)

# Who must sign in with an authenticator app (TOTP) when the stack's StaffMfa parameter says so; the sign-in's
# Pre Token Generation trigger puts MFA_CLAIM in the ID token of anyone who has one set up.
MFA_GROUPS = (LEADS, SUPERVISORS)
MFA_CLAIM = "loopgate:mfa"
