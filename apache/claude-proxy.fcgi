#!/bin/sh
# claude-proxy.fcgi: starts claude-proxy for shared hosting (apache/htaccess).
# Keep it next to the binary (claude-proxy) and its settings file
# (claude-proxy.env), executable (chmod 755).  Under mod_fcgid Apache runs
# this once per process and talks FastCGI on fd 0; under mod_cgi once per
# request.  Both only read the settings from CLAUDE_PROXY_CONFIG, set here
# because SetEnv in .htaccess does not reach a mod_fcgid process.
dir=${0%/*}
[ "$dir" = "$0" ] && dir=.
CLAUDE_PROXY_CONFIG=${CLAUDE_PROXY_CONFIG:-$dir/claude-proxy.env}
export CLAUDE_PROXY_CONFIG
# Plain CGI under a URL prefix (/~user/claude/v1/messages): REQUEST_URI
# still holds the prefix; PATH_INFO holds the API path the rewrite passed
# (/v1/messages).  Under mod_fcgid this environment is the spawning
# request's only and the responder reads each request's own parameters.
if [ -n "${PATH_INFO:-}" ] && [ -n "${GATEWAY_INTERFACE:-}" ]; then
    REQUEST_URI=$PATH_INFO${QUERY_STRING:+?$QUERY_STRING}
    export REQUEST_URI
fi
exec "$dir/claude-proxy"
