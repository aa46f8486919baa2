"""`make dev`: serves the whole local stack (moto, the real ASL, the real handlers) on 127.0.0.1."""
from __future__ import annotations

import logging
import os
import signal
import threading

from .apigateway import ApiGateway
from .engine import LocalEngine
from .server import LocalServer


def banner(url: str, api_keys: list[str], scale: float) -> str:
    api_key = api_keys[0]
    return f"""
Loopgate local stack is up: {url}
  (moto in this process; the real state machine from template.yaml; time scale {scale})

Channels (API keys: {", ".join(api_keys)})
  curl -s -X POST {url}/cases -H 'x-api-key: {api_key}' -H 'Content-Type: application/json' \\
       -H 'Idempotency-Key: demo-1' -d @events/contract_change_low_confidence.json
  curl -s {url}/cases/<caseId> -H 'x-api-key: {api_key}'

Reviewers (a dev token stands in for Cognito)
  TOKEN=$(curl -s -X POST {url}/_local/token -d '{{"sub": "ana", "groups": ["reviewers"]}}' \\
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  curl -s {url}/reviews -H "Authorization: Bearer $TOKEN"
  curl -s -X POST {url}/reviews/<taskId>/decision -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' -d '{{"action": "approve"}}'

Customers
  curl -s {url}/_local/outbox          # emails and SMS sent, newest last, each with its caseId and links
  open the link in a browser, or:  curl -s -X POST <link> -H 'Content-Type: application/json' \\
       -H 'Accept: application/json' -d '{{"response": "confirm"}}'
  or reply to the SMS or email as the customer (the carrier and SES, stood in for):
  curl -s -X POST {url}/_local/inbound -d '{{"channel": "sms", "from": "+4917612345678", "body": "2"}}'

Downstream events (CaseActionApproved, CaseStatusChanged):  curl -s {url}/_local/events
Stop with Ctrl-C.
"""


def channel_api_keys(environ) -> list[str]:
    """LOCAL_API_KEYS (comma separated), else LOCAL_API_KEY, else the dev key."""
    if environ.get("LOCAL_API_KEYS"):
        keys = [k.strip() for k in environ["LOCAL_API_KEYS"].split(",") if k.strip()]
        if not keys:
            raise SystemExit("LOCAL_API_KEYS: give at least one key, comma separated")
        return list(dict.fromkeys(keys))
    return [environ.get("LOCAL_API_KEY") or "local-dev-key"]


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    port = int(os.environ.get("PORT", "3000"))
    api_keys = channel_api_keys(os.environ)
    scale = float(os.environ.get("LOOPGATE_TIME_SCALE", "1"))
    # A stand-in for Cognito's hosted UI ("<base URL> <client id>"): the browser tests serve one.
    hosted_ui = tuple(os.environ.get("LOOPGATE_HOSTED_UI", "").split()) or None
    if hosted_ui and len(hosted_ui) != 2:
        raise SystemExit("LOOPGATE_HOSTED_UI: give the stand-in's base URL and a client id, separated by a space")
    engine = LocalEngine(time_scale=scale, api_keys=api_keys, hosted_ui=hosted_ui)
    server = LocalServer(engine, ApiGateway(engine), port=port)
    engine.public_base_url = server.url
    engine.start()
    server.start()
    print(banner(server.url, api_keys, scale), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        engine.stop()


if __name__ == "__main__":
    main()
