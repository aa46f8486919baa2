"""Tamper evidence from a terminal: `python -m loopgate.audit verify` checks a table against the signed digests.

Not imported by any function: it is the operator's and the auditor's tool (docs/audit.md)."""
