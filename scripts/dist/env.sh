# Sourced by the scripts in scripts/dist/: paths and the dist tool venv (see setup.sh).
# Everything `make dist` writes lives under $DIST (target/dist by default), never in git.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET_DIR in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
DIST=${DIST:-$TARGET_DIR/dist}
DIST_VENV=$DIST/venv
DIST_BIN=$DIST/bin
WHEELS_OUT=$DIST/wheels
NPM_OUT=$DIST/npm
export PATH=$DIST_VENV/bin:$DIST_BIN:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH
VERSION=$(awk '/^\[workspace.package\]/{p=1} p && /^version *=/{gsub(/"/,"",$3); print $3; exit}' "$ROOT/Cargo.toml")
log() { printf '[dist %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }
