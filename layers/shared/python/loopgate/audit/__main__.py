"""`python -m loopgate.audit verify|seal`: checks the evidence chains against the signed digests, or seals now.

Reads the tables and the bucket with the caller's AWS credentials (kms:Verify on the signing key,
s3:GetObjectVersion and s3:ListBucketVersions on the bucket, dynamodb:Query on the tables); names the first broken
link of each chain and exits 1 when there is one.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import boto3

from loopgate.adapters.dynamo import CaseStore
from loopgate.adapters.sealing import DigestArchive, SealingTables
from loopgate.usecases import sealing


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loopgate.audit", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("verify", "seal"),
                        help="verify: check the tables against the digests; seal: run the daily seal now")
    parser.add_argument("--cases-table", default=os.environ.get("CASES_TABLE"), help="default: $CASES_TABLE")
    parser.add_argument("--overrides-table", default=os.environ.get("OVERRIDES_TABLE"),
                        help="default: $OVERRIDES_TABLE")
    parser.add_argument("--bucket", default=os.environ.get("EVIDENCE_BUCKET"),
                        help="the stack's EvidenceBucketName output; default: $EVIDENCE_BUCKET")
    parser.add_argument("--key-id", default=os.environ.get("DIGEST_KEY_ID"),
                        help="seal only: the DigestSigningKeyArn output; default: $DIGEST_KEY_ID")
    parser.add_argument("--since", help="verify only: skip digests of days before this one (2026-11-01)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON after the progress lines")
    return parser


def main(argv: list[str] | None = None, session: boto3.Session | None = None) -> int:
    args = _parser().parse_args(argv)
    missing = [name for name in ("cases_table", "overrides_table", "bucket") if not getattr(args, name)]
    if args.command == "seal" and not args.key_id:
        missing.append("key_id")
    if missing:
        _parser().error(f"--{missing[0].replace('_', '-')} is required (or its environment variable)")
    session = session or boto3.Session()
    store = CaseStore(session.resource("dynamodb"), args.cases_table, args.overrides_table)
    tables = SealingTables(store)
    archive = DigestArchive(session.client("s3"), session.client("kms"), args.bucket, args.key_id)
    if args.command == "seal":
        print(json.dumps(sealing.seal(tables, archive)))
        return 0
    report = sealing.verify(tables, archive, since=args.since, progress=lambda line: print(line, flush=True))
    first = report["firstBroken"]
    if first:
        where = (f"digest {first['digest']}" if "digest" in first
                 else f"case {first['caseId']}, {first['chain']} item {first['key']} (position {first['position']})")
        print(f"FIRST BROKEN LINK: {where}: {first['why']}")
    elif report["digests"] == 0:
        print("no digest found: nothing is sealed yet (the daily seal has not run)")
    else:
        print("every sealed item holds")
    if args.json:
        print(json.dumps(report, indent=2))
    return 1 if first else 0


if __name__ == "__main__":
    sys.exit(main())
