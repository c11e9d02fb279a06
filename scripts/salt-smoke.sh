#!/usr/bin/env bash
# Masterless Salt smoke test: proves the salt-call installed by install-tools.sh
# can render and (dry-)apply a trivial state with everything confined to a temp dir
# (no /etc/salt, /var/cache/salt, /var/log/salt; works as root without `user:`).
#
#   scripts/install-tools.sh && scripts/salt-smoke.sh
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=tools-env.sh
. "$SCRIPT_DIR/tools-env.sh"
SALT_CALL="${ONIONCLOUD_SALT_CALL:?salt-call not installed; run scripts/install-tools.sh}"

D="$(mktemp -d "${TMPDIR:-/tmp}/onioncloud-salt-smoke.XXXXXX")"
trap 'rm -rf "$D"' EXIT
mkdir -p "$D/conf" "$D/states" "$D/pillar" "$D/root" "$D/out"

cat >"$D/conf/minion" <<EOF
file_client: local
id: onioncloud-smoke
root_dir: $D/root
cachedir: $D/root/cache
pki_dir: $D/root/pki
sock_dir: $D/root/sock
log_file: $D/root/minion.log
file_roots:
  base:
    - $D/states
pillar_roots:
  base:
    - $D/pillar
EOF

cat >"$D/states/foo.sls" <<EOF
hello_file:
  file.managed:
    - name: $D/out/hello.txt
    - contents: "hello from salt"
    - mode: '0644'
EOF

run() { "$SALT_CALL" --local --config-dir="$D/conf" --out=json "$@"; }

run state.show_sls foo >"$D/show.json"
grep -q '"managed"' "$D/show.json" || { cat "$D/show.json"; echo "show_sls: unexpected output" >&2; exit 1; }

run --retcode-passthrough state.apply foo test=True >"$D/test.json"
grep -q '"result": null' "$D/test.json" || { cat "$D/test.json"; echo "test=True: expected a pending change" >&2; exit 1; }
[ ! -e "$D/out/hello.txt" ] || { echo "test=True changed the file system" >&2; exit 1; }

run --retcode-passthrough state.apply foo >"$D/apply.json"
[ "$(cat "$D/out/hello.txt")" = "hello from salt" ] || { echo "state.apply did not write the file" >&2; exit 1; }

echo "salt smoke test passed ($("$SALT_CALL" --version))"
