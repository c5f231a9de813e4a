# Sourced by scripts/run and scripts/test: creates .venv on first use and installs the project into it.
# Usage: ensure_venv [EXTRAS]   (EXTRAS like "test"; empty for the runtime only)
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3.11}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

ensure_venv() {
    local extras="${1:-}" spec="$ROOT" stamp="$VENV/.dartcam-installed${1:+-$1}"
    [ -n "$extras" ] && spec="$ROOT[$extras]"
    if [ ! -x "$VENV/bin/python" ]; then
        "$PY" -m venv "$VENV"
        "$VENV/bin/pip" install -q --upgrade pip
    fi
    # The runtime alone is also there when the test extras were installed (scripts/run after
    # scripts/test must not reinstall: it may run where there is no network, as in the LAN test).
    if [ -z "$extras" ] && [ -f "$stamp-test" ] && [ ! "$ROOT/pyproject.toml" -nt "$stamp-test" ]; then
        return 0
    fi
    # Reinstall only when pyproject.toml changed since the last install: keeps repeated runs fast.
    if [ ! -f "$stamp" ] || [ "$ROOT/pyproject.toml" -nt "$stamp" ]; then
        "$VENV/bin/pip" install -q -e "$spec" && touch "$stamp"
    fi
}
