"""`make fuzz`: schemathesis drives every operation of GET /openapi.json against a fresh local stack.

Valid and invalid input for every operation, as a channel (API key) and as a reviewer of every group at once
(so that no handler refuses before it has parsed). Checks: no 5xx, and responses match the document where it
documents them. Prints the operations, the examples sent and every failure with a curl line to repeat it.

    python -m local.fuzz                       # 200 examples per operation
    python -m local.fuzz --max-examples 20 --seed 1
"""
from __future__ import annotations

import argparse
import logging
import subprocess
import sys

from .apigateway import ApiGateway
from .engine import LocalEngine
from .server import LocalServer

API_KEY = "local-dev-key"
GROUPS = ["reviewers", "senior", "audit", "supervisors", "leads"]
CHECKS = "not_a_server_error,response_schema_conformance"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=200)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--workers", default="1", help="schemathesis workers; the stack runs one request per "
                                                       "function at a time, as Lambda would")
    args, extra = parser.parse_known_args(argv)
    logging.basicConfig(level=logging.WARNING)
    engine = LocalEngine(api_key=API_KEY)
    server = LocalServer(engine, ApiGateway(engine), port=0)
    engine.public_base_url = server.url
    engine.start()
    server.start()
    try:
        token = server.gateway.mint_token("fuzz", GROUPS)
        command = [sys.executable, "-m", "schemathesis.cli", "run", f"{server.url}/openapi.json",
                   "--url", server.url, "--checks", CHECKS, "--max-examples", str(args.max_examples),
                   "--workers", args.workers, "--generation-database", "none", "--no-color",
                   "-H", f"x-api-key: {API_KEY}", "-H", f"Authorization: Bearer {token}",
                   *(["--seed", str(args.seed)] if args.seed is not None else []), *extra]
        return subprocess.run(command, check=False).returncode
    finally:
        server.stop()
        engine.stop()


if __name__ == "__main__":
    raise SystemExit(main())
