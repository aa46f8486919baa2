# Loopgate: `make dev` serves the local stack, `make test` runs every check. Both set up what they need.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# aws-sam-cli pins its own boto3 and botocore, which would fight moto's in .venv: it gets a venv of its own.
SAM_VENV := .venv-sam
SAM_STAMP := $(SAM_VENV)/.installed
PORT ?= 3000

.PHONY: dev test validate lint unit integration e2e bench chaos learn-bench eval train-judges openapi fuzz mutate verify-audit browser clean

$(STAMP): requirements-dev.txt layers/shared/python/requirements.txt constraints.txt
	@echo "Setting up $(VENV) with the pinned dependencies (the first time takes a minute or two)..."
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)
	@echo "$(VENV) is ready."

## dev: serve the local stack on 127.0.0.1:$(PORT) (moto, the real state machine, the real handlers)
dev: $(STAMP)
	PORT=$(PORT) $(PY) -m local

## test: validate and lint the template, the ASL and the code, then unit, integration and browser tests
test: $(STAMP) validate lint browser
	$(PY) -m pytest -n 2 --dist loadfile

$(SAM_STAMP): requirements-sam.txt
	@echo "Setting up $(SAM_VENV) with the pinned aws-sam-cli (the first time takes about 30 s)..."
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/python -m pip install --quiet -r requirements-sam.txt
	touch $(SAM_STAMP)

## validate: `sam validate --lint` (cfn-lint of sam's own pins on the template); offline: needs a region, no credentials
validate: $(SAM_STAMP)
	AWS_DEFAULT_REGION=eu-central-1 SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint --template template.yaml

lint: $(STAMP)
	$(VENV)/bin/cfn-lint template.yaml
	$(VENV)/bin/ruff check .

unit: $(STAMP)
	$(PY) -m pytest tests/unit

integration: $(STAMP)
	$(PY) -m pytest tests/integration

e2e: $(STAMP) browser
	$(PY) -m pytest tests/e2e

## bench: cases through the real workflow on the local engine; prints throughput, latency and memory
bench: $(STAMP)
	$(PY) -m bench.workflow

## chaos: cases of every journey under injected faults, reviewers and customers; checks nothing is lost or doubled
chaos: $(STAMP)
	$(PY) -m bench.chaos $(CHAOS_ARGS)

## learn-bench: a labelled refund stream, static against learning policy, then a degradation the guardrail must catch
learn-bench: $(STAMP)
	$(PY) -m bench.learn $(LEARN_ARGS)

## train-judges: retrain the learned judge (loopgate/policy/learned_judges.json) from eval/judgement's tune items
train-judges: $(STAMP)
	$(PY) -m eval.judgement.train

## eval: the text judges against the labelled set in eval/judgement; fails when a signal misses its heldout target
eval: $(STAMP)
	$(PY) -m eval.judgement $(EVAL_ARGS)

## openapi: regenerate the served contract (layers/shared/python/loopgate/web/openapi.json) from the resolvers
openapi: $(STAMP)
	$(PY) -m local.openapi

## fuzz: schemathesis drives every operation of the contract against a local stack, long; prints what it found
fuzz: $(STAMP)
	$(PY) -m local.fuzz $(FUZZ_ARGS)

## mutate: mutmut over policy/, usecases/ and adapters/dynamo.py with tests/unit; a table, then every survivor
## (MODULES="policy/authority.py adapters/dynamo.py::CaseStore.answer_step" limits it). Not part of `make test`.
mutate: $(STAMP)
	$(PY) -m local.mutate $(MODULES)

## verify-audit: check the deployed tables against the signed evidence digests, naming the first broken link
## (CASES_TABLE, OVERRIDES_TABLE, EVIDENCE_BUCKET from the stack's resources and outputs; AUDIT_ARGS="--since 2026-11-01")
verify-audit: $(STAMP)
	PYTHONPATH=layers/shared/python $(PY) -m loopgate.audit verify $(AUDIT_ARGS)

# Playwright drives Debian's chromium; its own browser download does not work on these machines.
browser:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get update -qq && \
	  $$( [ "$$(id -u)" = 0 ] || echo sudo ) apt-get install -y -qq chromium >/dev/null; }

clean:
	rm -rf $(VENV) $(SAM_VENV) .pytest_cache .ruff_cache .hypothesis .mutmut mutants
