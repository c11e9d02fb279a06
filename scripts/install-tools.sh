#!/usr/bin/env bash
# Install the external tools OnionCloud's tests use into a cache directory:
#
#   <tools>/venv        Python virtualenv with Salt (pinned, scripts/salt-requirements.txt)
#   <tools>/checkov-venv Python virtualenv with checkov (pinned,
#                       scripts/checkov-requirements.txt), apart from Salt's
#                       because their pinned dependencies differ
#   <tools>/cargo/bin   mdbook (cargo install --locked, pinned version)
#   <tools>/haproxy     Debian's haproxy, unpacked (not installed), and a wrapper
#   <tools>/sshd        Debian's openssh-server, unpacked (not installed), and a
#                       wrapper; creates the system user `sshd` if missing (root)
#
# <tools> = ${ONIONCLOUD_TOOLS_DIR:-$HOME/.cache/onioncloud/tools}
#
# Idempotent and fast when everything is already installed (stamp file for the
# venv, version check for mdbook). Afterwards either `source scripts/tools-env.sh`
# or export the lines printed at the end.
#
# Environment knobs:
#   ONIONCLOUD_TOOLS_DIR     cache directory (see above)
#   ONIONCLOUD_PYTHON        python interpreter for the venv (default: python3, needs >= 3.10)
#   ONIONCLOUD_SKIP_SALT=1   do not install/check the salt venv
#   ONIONCLOUD_SKIP_CHECKOV=1 do not install/check the checkov venv
#   ONIONCLOUD_SKIP_MDBOOK=1 do not install/check mdbook (its build takes ~4 min on 2 cores)
#   ONIONCLOUD_SKIP_HAPROXY=1 do not unpack/check haproxy
#   ONIONCLOUD_SKIP_SSHD=1   do not unpack/check sshd
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLS_DIR="${ONIONCLOUD_TOOLS_DIR:-$HOME/.cache/onioncloud/tools}"
PYTHON="${ONIONCLOUD_PYTHON:-python3}"
SALT_REQUIREMENTS="$SCRIPT_DIR/salt-requirements.txt"
CHECKOV_REQUIREMENTS="$SCRIPT_DIR/checkov-requirements.txt"
MDBOOK_VERSION="0.5.4"

log() { printf '[install-tools] %s\n' "$*" >&2; }
die() { printf '[install-tools] ERROR: %s\n' "$*" >&2; exit 1; }

mkdir -p "$TOOLS_DIR"
TOOLS_DIR="$(cd "$TOOLS_DIR" && pwd)"

# Serialise concurrent runs (e.g. parallel test jobs bootstrapping at once).
if command -v flock >/dev/null 2>&1; then
    exec 9>"$TOOLS_DIR/.install.lock"
    flock 9
fi

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | cut -d' ' -f1
    else
        "$PYTHON" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())'
    fi
}

# ---------------------------------------------------------------- salt venv --
install_salt() {
    local venv="$TOOLS_DIR/venv" stamp="$TOOLS_DIR/venv/.onioncloud-stamp" want have=""
    [ -f "$SALT_REQUIREMENTS" ] || die "missing $SALT_REQUIREMENTS"
    command -v "$PYTHON" >/dev/null 2>&1 || die "python interpreter '$PYTHON' not found"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
        || die "$PYTHON is older than 3.10"

    # Key: requirements content + interpreter version (+ install-tools schema version).
    want="$({ cat "$SALT_REQUIREMENTS"; "$PYTHON" -c 'import sys; print(sys.version)'; echo stamp-v1; } | sha256_of)"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$have" = "$want" ] && [ -x "$venv/bin/salt-call" ]; then
        log "salt venv up to date ($venv)"
        return 0
    fi

    log "creating salt venv in $venv (this takes ~1 min)"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$SALT_REQUIREMENTS"
    # Smoke check: the entry point must import all of salt's runtime deps.
    "$venv/bin/salt-call" --version >/dev/null \
        || die "salt-call --version failed after install"
    printf '%s\n' "$want" >"$stamp"
    log "installed $("$venv/bin/salt-call" --version)"
}

# ------------------------------------------------------------- checkov venv --
# checkov cross-checks OnionCloud's policy rules (tests/checkov.rs). Only its
# installation needs the network (PyPI): the tests run it with no API key,
# --skip-download, --skip-results-upload, BC_SKIP_MAPPING=TRUE and
# CKV_SKIP_PACKAGE_UPDATE_CHECK=True, which keep it offline.
install_checkov() {
    local venv="$TOOLS_DIR/checkov-venv" stamp="$TOOLS_DIR/checkov-venv/.onioncloud-stamp" want have=""
    [ -f "$CHECKOV_REQUIREMENTS" ] || die "missing $CHECKOV_REQUIREMENTS"
    command -v "$PYTHON" >/dev/null 2>&1 || die "python interpreter '$PYTHON' not found"
    "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' \
        || die "$PYTHON is older than 3.10"

    want="$({ cat "$CHECKOV_REQUIREMENTS"; "$PYTHON" -c 'import sys; print(sys.version)'; echo stamp-v1; } | sha256_of)"
    [ -f "$stamp" ] && have="$(cat "$stamp")"
    if [ "$have" = "$want" ] && [ -x "$venv/bin/checkov" ]; then
        log "checkov venv up to date ($venv)"
        return 0
    fi

    log "creating checkov venv in $venv (this takes ~1 min)"
    rm -rf "$venv"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$CHECKOV_REQUIREMENTS"
    # Smoke check: the entry point imports checkov and its runtime deps.
    CKV_SKIP_PACKAGE_UPDATE_CHECK=True "$venv/bin/checkov" --version >/dev/null \
        || die "checkov --version failed after install"
    printf '%s\n' "$want" >"$stamp"
    log "installed checkov $(CKV_SKIP_PACKAGE_UPDATE_CHECK=True "$venv/bin/checkov" --version)"
}

# ------------------------------------------------------------------- mdbook --
install_mdbook() {
    local root="$TOOLS_DIR/cargo" bin="$TOOLS_DIR/cargo/bin/mdbook" have=""
    if [ -x "$bin" ]; then
        have="$("$bin" --version 2>/dev/null || true)"
    fi
    if [ "$have" = "mdbook v$MDBOOK_VERSION" ]; then
        log "mdbook $MDBOOK_VERSION up to date ($bin)"
        return 0
    fi
    command -v cargo >/dev/null 2>&1 || die "cargo not found (needed to build mdbook)"
    log "building mdbook $MDBOOK_VERSION (takes ~4 min on 2 cores)"
    # Unset CARGO_TARGET_DIR so cargo builds in (and then removes) a private temp
    # dir instead of mixing mdbook's release artifacts into the workspace target.
    env -u CARGO_TARGET_DIR \
        cargo install mdbook --locked --version "$MDBOOK_VERSION" --root "$root" --force --quiet
    [ "$("$bin" --version)" = "mdbook v$MDBOOK_VERSION" ] || die "mdbook version check failed"
}

# Downloads Debian packages and unpacks them under DIR/root, without
# installing them (no maintainer scripts run, no service starts).
unpack_debs() {
    local dir="$1" deb
    shift
    rm -rf "$dir"
    mkdir -p "$dir/debs" "$dir/root"
    if ! (cd "$dir/debs" && apt-get download "$@" >/dev/null 2>&1); then
        apt-get update >/dev/null
        (cd "$dir/debs" && apt-get download "$@" >/dev/null)
    fi
    for deb in "$dir"/debs/*.deb; do
        dpkg -x "$deb" "$dir/root"
    done
}

# ------------------------------------------------------------------ haproxy --
# HAProxy checks the configuration that the private-cloud load balancer's
# Salt role renders (`haproxy -c`). Debian's package is unpacked into the
# tools directory, not installed, so that no service is started.
HAPROXY_PACKAGES="haproxy liblua5.3-0 libopentracing-c-wrapper0 libopentracing1"
install_haproxy() {
    local dir="$TOOLS_DIR/haproxy" wrapper="$TOOLS_DIR/haproxy/haproxy"
    if command -v haproxy >/dev/null 2>&1; then
        log "haproxy found on PATH"
        return 0
    fi
    if [ -x "$wrapper" ] && "$wrapper" -v >/dev/null 2>&1; then
        log "haproxy up to date ($wrapper)"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found (needed for haproxy)"
    log "unpacking Debian's haproxy into $dir"
    # shellcheck disable=SC2086
    unpack_debs "$dir" $HAPROXY_PACKAGES
    cat >"$wrapper" <<WRAPPER
#!/bin/sh
LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" exec "$dir/root/usr/sbin/haproxy" "\$@"
WRAPPER
    chmod +x "$wrapper"
    "$wrapper" -v >/dev/null || die "the unpacked haproxy does not run"
}

# --------------------------------------------------------------------- sshd --
# The salt-ssh tests start a throwaway OpenSSH server on 127.0.0.1. Debian's
# openssh-server is unpacked into the tools directory, not installed, so no
# service is started and no system configuration is written. What sshd needs
# at run time when started as root:
#   - the privilege separation user `sshd`, created here with
#     `useradd --system` (home /run/sshd, no login shell) if it is missing;
#   - the privilege separation directory /run/sshd (root-owned, not writable
#     by others), which the wrapper creates before starting sshd, because
#     /run does not survive a reboot.
# sshd must be started by absolute path (it re-executes itself), which the
# wrapper does. `scp`, which salt-ssh uses to copy its thin archive, speaks
# SFTP: a configuration for these tests says `Subsystem sftp internal-sftp`.
SSHD_PACKAGES="openssh-server libwrap0"
install_sshd() {
    local dir="$TOOLS_DIR/sshd" wrapper="$TOOLS_DIR/sshd/sshd"
    if [ "$(id -u)" = 0 ] && ! getent passwd sshd >/dev/null 2>&1; then
        command -v useradd >/dev/null 2>&1 || die "useradd not found (needed for sshd's user)"
        log "creating the system user sshd (sshd's privilege separation)"
        useradd --system --no-create-home --home-dir /run/sshd \
            --shell /usr/sbin/nologin sshd
    fi
    local client
    for client in ssh ssh-keygen; do
        command -v "$client" >/dev/null 2>&1 \
            || log "warning: $client not on PATH (Debian: apt-get install openssh-client); the salt-ssh tests need it"
    done
    if [ -x "$wrapper" ] && "$wrapper" -V >/dev/null 2>&1; then
        log "sshd up to date ($wrapper)"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found (needed for sshd)"
    log "unpacking Debian's openssh-server into $dir"
    # shellcheck disable=SC2086
    unpack_debs "$dir" $SSHD_PACKAGES
    cat >"$wrapper" <<WRAPPER
#!/bin/sh
# Runs the sshd unpacked next to this file (from Debian's openssh-server).
if [ "\$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
    mkdir -p -m 0755 /run/sshd
fi
LD_LIBRARY_PATH="$dir/root/usr/lib/x86_64-linux-gnu" exec "$dir/root/usr/sbin/sshd" "\$@"
WRAPPER
    chmod +x "$wrapper"
    "$wrapper" -V >/dev/null 2>&1 || die "the unpacked sshd does not run"
}

if [ "${ONIONCLOUD_SKIP_SALT:-0}" != 1 ]; then install_salt; fi
if [ "${ONIONCLOUD_SKIP_CHECKOV:-0}" != 1 ]; then install_checkov; fi
if [ "${ONIONCLOUD_SKIP_HAPROXY:-0}" != 1 ]; then install_haproxy; fi
if [ "${ONIONCLOUD_SKIP_SSHD:-0}" != 1 ]; then install_sshd; fi
if [ "${ONIONCLOUD_SKIP_MDBOOK:-0}" != 1 ]; then install_mdbook; fi

# ------------------------------------------------------------------ summary --
# Let tools-env.sh compute the same exports a sourcing script would get.
export ONIONCLOUD_TOOLS_DIR="$TOOLS_DIR"
# shellcheck source-path=SCRIPTDIR source=tools-env.sh
. "$SCRIPT_DIR/tools-env.sh"

echo "# OnionCloud tools installed in $TOOLS_DIR. Either run:"
echo "#   source $SCRIPT_DIR/tools-env.sh"
echo "# or export:"
echo "export PATH=\"$TOOLS_DIR/venv/bin:$TOOLS_DIR/cargo/bin:\$PATH\""
if [ -n "${ONIONCLOUD_SALT_CALL:-}" ]; then echo "export ONIONCLOUD_SALT_CALL=\"$ONIONCLOUD_SALT_CALL\""; fi
if [ -n "${ONIONCLOUD_CHECKOV:-}" ]; then echo "export ONIONCLOUD_CHECKOV=\"$ONIONCLOUD_CHECKOV\""; fi
if [ -n "${ONIONCLOUD_MDBOOK:-}" ]; then echo "export ONIONCLOUD_MDBOOK=\"$ONIONCLOUD_MDBOOK\""; fi
if [ -n "${ONIONCLOUD_SSHD:-}" ]; then echo "export ONIONCLOUD_SSHD=\"$ONIONCLOUD_SSHD\""; fi
if [ -n "${ONIONCLOUD_SALT_SSH:-}" ]; then echo "export ONIONCLOUD_SALT_SSH=\"$ONIONCLOUD_SALT_SSH\""; fi
if [ -n "${ONIONCLOUD_TF_PLUGIN_DIR:-}" ]; then
    echo "export ONIONCLOUD_TF_PLUGIN_DIR=\"$ONIONCLOUD_TF_PLUGIN_DIR\""
else
    echo "# (no terraform-provider-aws plugin mirror found; ONIONCLOUD_TF_PLUGIN_DIR unset)"
fi
