# tests/e2e/rules.mk: the e2e suite's node dependencies (the official
# Anthropic SDK, pinned by package-lock.json).  `make check` installs them
# once with `npm ci`; tests/check.d/50-e2e.sh runs the suite.
#
#   make e2e     only the end-to-end suite
E2E_STAMP = tests/e2e/node_modules/.package-lock.json

# Node trusts only its own bundled CAs; behind a TLS-inspecting proxy the
# system store (/etc/ssl/certs, where admins add their CA) is what works,
# so npm gets it unless a cafile is already configured.
SYSTEM_CA = /etc/ssl/certs/ca-certificates.crt

$(E2E_STAMP): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	    if [ -z "$${npm_config_cafile:-}" ] && [ -f $(SYSTEM_CA) ] && \
	        [ "$$(npm config get cafile 2>/dev/null)" = null ]; then \
	        npm_config_cafile=$(SYSTEM_CA); export npm_config_cafile; \
	    fi; \
	    cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error; \
	else \
	    echo "npm not found: the e2e suite cannot run (sh deploy/deps.sh test)" >&2; \
	fi

CHECK_DEPS += $(E2E_STAMP)

.PHONY: e2e
e2e: $(PROG) $(E2E_STAMP)
	@B=$(B) tests/run-check.sh e2e
