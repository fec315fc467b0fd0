# Herald: the two commands of the README, and the steps behind them.
#   make demo   set up, start the whole local stack, run a demo campaign, print its figures
#   make test   set up, then lint, type-check, validate deployment files and run every test
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
UV := $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")

.PHONY: demo test setup up down status lint typecheck deploy-check pytest

demo: setup
	$(UV) run --frozen herald-stack demo

test: setup lint typecheck deploy-check pytest

setup:
	@bash tools/bootstrap.sh

up: setup
	$(UV) run --frozen herald-stack up

down:
	$(UV) run --frozen herald-stack down

status:
	$(UV) run --frozen herald-stack status

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck:
	$(UV) run --frozen mypy shared/kit/src shared/events/src shared/compliance/src \
	  shared/testing/src tools/stack/src tools/smsc/src services/*/src

deploy-check:
	bash tools/validate-deploy.sh

# Last, so that pytest's summary is the closing line CI reads.
pytest:
	$(UV) run --frozen pytest shared services tools tests -q -p no:cacheprovider
