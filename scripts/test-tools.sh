#!/usr/bin/env bash
# Installs the tools the browser, PostgreSQL and Node-based tests need, where this machine
# allows it. Without them those tests skip with a reason, except under CI=true, where they
# fail: so under CI a missing tool is installed or the run stops here.
set -u
cd "$(dirname "$0")/.."
ci=${CI:-}
as_root() { [ "$(id -u)" = 0 ]; }

# Debian's Chromium for Playwright (the Playwright browser download does not work here).
if [ ! -x /usr/bin/chromium ] && as_root && command -v apt-get >/dev/null; then
  echo "test-tools: installing chromium"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/dev/null \
    || echo "test-tools: could not install chromium"
fi

# PostgreSQL: start the local cluster when it is installed but not running.
if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  if as_root && [ -d /etc/postgresql ]; then
    echo "test-tools: starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 20); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.5; done
  fi
fi

# Redis, for the rate limits shared between gunicorn workers.
if ! command -v redis-server >/dev/null && as_root && command -v apt-get >/dev/null; then
  echo "test-tools: installing redis-server"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >/dev/null \
    || echo "test-tools: could not install redis-server"
fi
if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test-tools: starting Redis"
  redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null \
    || echo "test-tools: could not start Redis"
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.25; done
fi

# Java for the W3C Nu HTML Checker (vnu.jar, from the vnu-jar npm package below).
if ! command -v java >/dev/null && as_root && command -v apt-get >/dev/null; then
  echo "test-tools: installing Java"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless) >/dev/null \
    || echo "test-tools: could not install Java"
fi

# tests/node: ical.js (the parser Thunderbird uses) for the independent iCal check, and
# vnu-jar for the HTML check. Installed again whenever a dependency is missing. Install
# scripts are not run: vnu-jar's would download a Java of its own; the machine's is used.
node_deps_missing() {
  node -e 'const d = require("./package.json").dependencies;
    process.exit(Object.keys(d).every((n) => require("fs").existsSync("node_modules/" + n + "/package.json")) ? 0 : 1)'
}
if [ -f tests/node/package.json ] && command -v npm >/dev/null; then
  if ! (cd tests/node && node_deps_missing); then
    echo "test-tools: installing tests/node (ical.js, vnu-jar)"
    (cd tests/node && npm ci --silent --no-audit --no-fund --ignore-scripts) || echo "test-tools: npm ci failed"
  fi
fi

if [ "$ci" = "true" ]; then
  [ -x /usr/bin/chromium ] || { echo "test-tools: chromium missing under CI"; exit 1; }
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "test-tools: PostgreSQL not reachable under CI"; exit 1; }
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "test-tools: Redis not reachable under CI"; exit 1; }
  command -v java >/dev/null || { echo "test-tools: Java missing under CI"; exit 1; }
  [ -f tests/node/node_modules/vnu-jar/build/dist/vnu.jar ] || { echo "test-tools: vnu.jar missing under CI"; exit 1; }
fi
exit 0
