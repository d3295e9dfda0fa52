# goal-mandala-ops — the two commands a newcomer needs:
#   make demo   an emulated goal-mandala-production, every function run, reports printed
#   make test   everything the tests need installed, then all the tests
.PHONY: demo test lint ci bench cli bed tools postgres clean-venv

FUNCTIONS := $(notdir $(wildcard functions/*))

VENV := .venv
PY := $(VENV)/bin/python
export SAM_CLI_TELEMETRY := 0

demo: bed tools
	scripts/demo.sh

# The tests, then the permission test over the calls they made: every AWS
# request a function under test sent must be allowed by its role in
# template.yaml (tests/permissions.py; the bed records them in target/bed-audit).
test: bed tools postgres
	rm -rf target/bed-audit
	cargo test --workspace --locked
	$(PY) tests/permissions.py

# gmops, the operators' command line, into ~/.cargo/bin.
cli:
	cargo install --locked --path cli

# Cold start, memory and size of every function's release bootstrap (each
# built on its own, as `sam build` does), the classifier's throughput and a
# rotation's calls per step. Reports figures; asserts no time.
bench: bed postgres
	for f in $(FUNCTIONS) gmops; do cargo build --release --locked -q -p $$f || exit 1; done
	cargo bench -p integration-tests --bench startup --locked -q

# Formatting, clippy with warnings as errors, and the SAM template lint.
lint: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	AWS_DEFAULT_REGION=ap-northeast-1 $(VENV)/bin/sam validate --lint
	AWS_DEFAULT_REGION=us-east-1 $(VENV)/bin/sam validate --lint -t global-events.yaml
	$(VENV)/bin/cfn-lint template.yaml global-events.yaml

ci: lint test

$(PY):
	python3 -m venv $(VENV)

# The AWS emulator and the CloudWatch bridge.
bed: $(VENV)/.bed-installed
$(VENV)/.bed-installed: tests/bed/requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tests/bed/requirements.txt
	touch $@

# SAM CLI, cfn-lint, cargo-lambda (+ zig for arm64 release builds).
tools: $(VENV)/.tools-installed
$(VENV)/.tools-installed: tests/bed/requirements-tools.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r tests/bed/requirements-tools.txt
	touch $@

# PostgreSQL server binaries (Debian packages) for the rotation tests.
postgres:
	@if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v psql >/dev/null || ! command -v openssl >/dev/null; then \
		echo "installing PostgreSQL (apt)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql postgresql-client openssl; \
	fi

clean-venv:
	rm -rf $(VENV)
