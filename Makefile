# Yiwang — the two commands: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install install-test system-deps system-fonts frontend migrate demo serve test-only lint bench messages clean

$(VENV)/.runtime: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.runtime
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

frontend: node_modules/.installed

install: $(VENV)/.runtime frontend

install-test: $(VENV)/.test frontend system-deps

# Debian packages the tests need: Chromium for the browser tests, CJK fonts so pages render Chinese
# (Noto for screenshots) and licence PDFs embed a TrueType CJK font (WenQuanYi Micro Hei).
system-deps:
	@if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "noto sans cjk" || ! test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc; then \
	  echo "Installing Debian packages: chromium fonts-noto-cjk fonts-wqy-microhei"; \
	  (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk fonts-wqy-microhei >/dev/null; \
	fi

# `make run` only needs the font licence PDFs embed; without root it falls back to a built-in CID font.
system-fonts:
	@if ! test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc; then \
	  echo "Installing Debian package: fonts-wqy-microhei"; \
	  ((apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null) \
	  || echo "warning: could not install fonts-wqy-microhei; licence PDFs will use the built-in STSong-Light font"; \
	fi

migrate: install
	$(PY) manage.py migrate --noinput

demo: migrate
	$(PY) manage.py load_demo
	$(PY) manage.py load_demo_catalog
	$(PY) manage.py load_demo_exchange
	$(PY) manage.py load_demo_hotline
	$(PY) manage.py init_licence_ca
	$(PY) manage.py load_demo_licences
	$(PY) manage.py load_demo_cases

serve:
	$(PY) manage.py collectstatic --noinput --verbosity 0
	YIWANG_INPROCESS_WORKER=1 $(VENV)/bin/gunicorn yiwang.wsgi:application -c gunicorn.conf.py --bind 127.0.0.1:$(PORT)

## make run: install, migrate, load the demo district and serve on http://127.0.0.1:$(PORT)
run: system-fonts demo serve

## make test: install what the tests need and run the whole suite
test: install-test
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-only:
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## make bench: every benchmark in bench/, one after the other (about 15 minutes; figures go to docs/benchmarks.md)
bench: install
	$(PY) bench/foundation.py
	$(PY) bench/catalog_search.py
	$(PY) bench/exchange_coverage.py
	$(PY) bench/hotline_dispatch.py
	$(PY) bench/hotline_intake.py --db sqlite
	$(PY) bench/hotline_intake.py --db postgres
	$(PY) bench/cases_submit.py

messages:
	cd src/yiwang && ../../$(PY) ../../manage.py makemessages -l en --ignore "*/migrations/*" && ../../$(PY) ../../manage.py compilemessages

clean:
	rm -rf $(VENV) node_modules staticfiles var .pytest_cache

## manage.py check --deploy with the example production environment
check-deploy: install
	mkdir -p var && test -f var/check-deploy-oidc.pem || $(PY) -c "from cryptography.hazmat.primitives.asymmetric import rsa; from cryptography.hazmat.primitives import serialization as s; k=rsa.generate_private_key(public_exponent=65537,key_size=2048); open('var/check-deploy-oidc.pem','wb').write(k.private_bytes(s.Encoding.PEM,s.PrivateFormat.PKCS8,s.NoEncryption()))"
	set -a && . deploy/production.env.example && set +a && OIDC_RSA_PRIVATE_KEY_FILE=var/check-deploy-oidc.pem YIWANG_VAR_DIR=var/check-deploy $(PY) manage.py check --deploy --fail-level WARNING
