# The two commands: `make run` and `make test`. See README.md.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
FLASK := $(BIN)/flask
# The suite runs on every core (at most 4 processes: pytest-xdist); PYTEST_ARGS= runs it in one.
PYTEST_ARGS ?= -n auto --maxprocesses=4
export FLASK_APP := cms

.PHONY: run test install lint translations chromium worker clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e ".[test]"
	touch $@

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -f -d cms/translations

install: $(VENV)/.installed translations

run: install
	$(FLASK) db upgrade
	@$(FLASK) cms demo > instance/demo-logins.txt
	@echo "== Demo logins (username  password):"; cat instance/demo-logins.txt
	@echo "== Serving http://127.0.0.1:5000 with the sandbox and a worker; Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	  CMS_SANDBOX=true $(FLASK) cms worker & \
	  CMS_SANDBOX=true $(FLASK) run --host 127.0.0.1 --port 5000 --with-threads

chromium:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh | grep -q .; } || { apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

lint: install
	$(BIN)/ruff check .

test: install chromium lint
	$(BIN)/pytest -q $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# After adding or changing strings: refresh the catalogue, then translate the new entries in
# cms/translations/zh_Hans_CN/LC_MESSAGES/messages.po (tests/test_i18n.py fails while one is missing).
messages: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k N_ -o cms/translations/messages.pot .
	$(BIN)/pybabel -q update --no-fuzzy-matching -i cms/translations/messages.pot -d cms/translations
