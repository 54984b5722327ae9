# Everything a developer runs. The targets install what they need themselves:
# scripts/bootstrap brings in Debian packages when they are missing and builds
# the virtualenv in .venv from pyproject.toml.

VENV    := .venv
PYTHON  := $(VENV)/bin/python
CONFIG  := etc/isso/isso.cfg
RUNCFG  := var/isso.cfg

.PHONY: run test test-fast venv test-deps bench bench-scale clean deb deb-test

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/bootstrap
	scripts/bootstrap python
	touch $@

# The sample configuration keeps its database under /var/lib/isso-tx, as the
# Debian package installs it; a developer's server keeps it in ./var instead.
$(RUNCFG): $(CONFIG)
	mkdir -p var
	sed 's|^dbpath = .*|dbpath = $(CURDIR)/var/comments.db|' $(CONFIG) > $@

# The address to open is the sample's first listen address, plus /demo/.
run: venv $(RUNCFG)
	@echo "isso-tx: configuration $(RUNCFG), database var/comments.db"
	@echo "isso-tx: open $$(sed -n 's|^listen = *||p' $(RUNCFG) | head -n 1)/demo/ and leave a comment (Ctrl-C stops the server)"
	PYTHONPATH=. $(VENV)/bin/twistd --nodaemon --pidfile= isso --config $(RUNCFG)

test-deps: venv
	scripts/bootstrap browser
	scripts/bootstrap nginx

# Both layers of the suite (see scripts/run-tests); test-fast runs only the
# tests of one process, which need neither a browser nor child processes.
test: test-deps
	scripts/run-tests

test-fast: venv
	scripts/run-tests --fast

# BENCH_ARGS passes options on: make bench BENCH_ARGS="--isso PATH --large"
# (see bench/api_bench.py).
bench: venv
	scripts/bootstrap bench
	$(PYTHON) bench/api_bench.py $(BENCH_ARGS)

# PostgreSQL against SQLite, and two daemons against one, on a throw-away
# PostgreSQL server: make bench-scale SCALE_ARGS="--rounds 3" (see
# bench/scale_bench.py).
bench-scale: venv
	scripts/bootstrap bench
	scripts/bootstrap postgresql
	$(PYTHON) bench/scale_bench.py $(SCALE_ARGS)

# The Debian package, built from a copy of the tree into dist/ and checked
# with lintian; deb-test also installs it, runs it and purges it.  Both need
# root and apt (Debian 12).
deb:
	debian/build-deb --lintian dist

deb-test:
	debian/tests/install-and-run --lintian

clean:
	rm -rf $(VENV) node_modules var _trial_temp* twisted/plugins/dropin.cache
