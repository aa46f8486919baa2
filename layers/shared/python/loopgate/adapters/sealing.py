"""Tamper evidence on AWS: the chains' items in DynamoDB, the signed daily digests in S3 (Object Lock), KMS."""
from __future__ import annotations

import base64
import json
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from loopgate.adapters.dynamo import SEAL_DAY_SHARDS, CaseStore, case_pk, from_item, to_item
from loopgate.policy.sealing import OVERRIDES, TIMELINE, item_key

DIGEST_PREFIX = "digests/"
SIGNING_ALGORITHM = "ECDSA_SHA_256"


class SealingTables:
    """Reads a case's chains and writes their seals; finds the cases written on a day through the SealDay index."""

    def __init__(self, store: CaseStore):
        self.store = store

    def cases_touched(self, day: str) -> list[str]:
        """The cases whose item was written on `day` (UTC), one Query per shard of the SealDay index."""
        case_ids = set()
        for shard in range(SEAL_DAY_SHARDS):
            for item in self.store._all_pages(self.store.cases, IndexName="SealDay",
                                              KeyConditionExpression=Key("sealDay").eq(f"{day}#{shard:02d}")):
                case_ids.add(item["pk"].removeprefix("CASE#"))
        return sorted(case_ids)

    def chains(self, case_id: str) -> dict[str, list[dict[str, Any]]]:
        """The case's timeline events and override log items, each in key order, read consistently."""
        events = self.store._all_pages(self.store.cases, ConsistentRead=True,
                                       KeyConditionExpression=Key("pk").eq(case_pk(case_id))
                                       & Key("sk").begins_with("EVENT#"))
        overrides = self.store.overrides_for_case(case_id)  # ByCase index: eventually consistent, see the docs
        return {TIMELINE: sorted(events, key=lambda i: i["sk"]),
                OVERRIDES: sorted(overrides, key=lambda i: i["overrideKey"])}

    def seal(self, chain: str, item: dict[str, Any], seal: dict[str, Any]) -> bool:
        """Writes an item's seal once; False when the item is gone or was sealed by another run meanwhile."""
        table = self.store.cases if chain == TIMELINE else self.store.overrides
        key = {"pk": item["pk"], "sk": item_key(chain, item)} if chain == TIMELINE else \
            {"journey": item["journey"], "overrideKey": item_key(chain, item)}
        names = {f"#s{i}": name for i, name in enumerate(seal)}
        values = {f":s{i}": to_item(v) for i, v in enumerate(seal.values())}
        try:
            table.update_item(Key=key, UpdateExpression="SET " + ", ".join(f"#s{i} = :s{i}" for i in range(len(seal))),
                              ConditionExpression=f"attribute_exists({next(iter(key))}) "
                                                  "AND attribute_not_exists(sealHash)",
                              ExpressionAttributeNames=names, ExpressionAttributeValues=values)
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True


class DigestArchive:
    """Signed digests as S3 objects under digests/<day>/<sealedAt>.json; the bucket's Object Lock keeps each
    version for its retention, so a digest can be added but not changed or deleted, even by the account's root."""

    def __init__(self, s3_client, kms_client, bucket: str, key_id: str | None):
        self.s3, self.kms, self.bucket, self.key_id = s3_client, kms_client, bucket, key_id

    def sign(self, message: bytes) -> dict[str, str]:
        # A RAW message (at most 4 KB): the statement the digest signs is small and names its body's SHA-256.
        answer = self.kms.sign(KeyId=self.key_id, Message=message, MessageType="RAW",
                               SigningAlgorithm=SIGNING_ALGORITHM)
        return {"keyId": answer["KeyId"], "algorithm": SIGNING_ALGORITHM,
                "signature": base64.b64encode(answer["Signature"]).decode()}

    def signature_holds(self, message: bytes, signed: dict[str, str]) -> bool:
        try:
            return bool(self.kms.verify(KeyId=signed["keyId"], Message=message, MessageType="RAW",
                                        Signature=base64.b64decode(signed["signature"]),
                                        SigningAlgorithm=signed["algorithm"])["SignatureValid"])
        except (ClientError, KeyError, ValueError) as exc:
            if isinstance(exc, ClientError) and exc.response["Error"]["Code"] not in (
                    "KMSInvalidSignatureException", "ValidationException", "InvalidSignatureException"):
                raise
            return False

    def put(self, name: str, document: dict[str, Any]) -> str:
        key = f"{DIGEST_PREFIX}{name}.json"
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=json.dumps(document).encode(),
                           ContentType="application/json")
        return key

    def versions(self, since: str | None = None) -> list[tuple[str, str | None]]:
        """Every stored version of every digest, as (key, version id), oldest key first. Versions, not just the
        newest: whoever may put objects can add a newer version, but Object Lock keeps the signed one readable."""
        found, kwargs = [], {"Bucket": self.bucket, "Prefix": DIGEST_PREFIX}
        while True:
            page = self.s3.list_object_versions(**kwargs)
            found += [(v["Key"], v.get("VersionId")) for v in page.get("Versions", [])
                      if not since or v["Key"] >= f"{DIGEST_PREFIX}{since}"]
            if not page.get("IsTruncated"):
                # S3 lists a key's versions newest first (their times may tie): reversed, then a stable sort by key
                # gives keys in order and each key's versions oldest first.
                return sorted(reversed(found), key=lambda v: v[0])
            kwargs.update(KeyMarker=page["NextKeyMarker"], VersionIdMarker=page["NextVersionIdMarker"])

    def get(self, key: str, version: str | None = None) -> dict[str, Any] | None:
        """A digest document; None when the object is not valid JSON (reported as a broken digest)."""
        body = self.s3.get_object(Bucket=self.bucket, Key=key, **({"VersionId": version} if version else {}))
        try:
            return from_item(json.loads(body["Body"].read()))
        except ValueError:
            return None
