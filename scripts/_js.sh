# Sourced by scripts/test: the JavaScript checks of the phone page (signaling/static/) with the tools
# pinned in package-lock.json: eslint, prettier --check (`npm run lint`) and the controllers' unit
# tests under node --test (`npm test`). Needs node and npm (scripts/test installs Debian's if missing).
# Usage: js_checks   (after sourcing _venv.sh, which sets ROOT)

js_checks() {
    local stamp="$ROOT/node_modules/.dartcam-installed"
    # npm ci only when package-lock.json changed since the last install: keeps repeated runs fast.
    if [ ! -f "$stamp" ] || [ "$ROOT/package-lock.json" -nt "$stamp" ]; then
        (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) && touch "$stamp"
    fi
    (cd "$ROOT" && npm run --silent lint && npm test --silent)
}
