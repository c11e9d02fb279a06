# shellcheck shell=bash
# Source this file (do not execute it) to use the tools installed by
# scripts/install-tools.sh:
#
#   source scripts/tools-env.sh
#
# It prepends <tools>/venv/bin and <tools>/cargo/bin to PATH and exports:
#   ONIONCLOUD_TOOLS_DIR       the cache dir (default $HOME/.cache/onioncloud/tools)
#   ONIONCLOUD_SALT_CALL       <tools>/venv/bin/salt-call          (if installed)
#   ONIONCLOUD_MDBOOK          <tools>/cargo/bin/mdbook            (if installed)
#   ONIONCLOUD_CHECKOV         <tools>/checkov-venv/bin/checkov     (if installed; not put
#                              on PATH, its venv is apart from Salt's)
#   ONIONCLOUD_SALT_SSH        <tools>/venv/bin/salt-ssh           (if installed)
#   ONIONCLOUD_HAPROXY         <tools>/haproxy/haproxy             (if unpacked)
#   ONIONCLOUD_SSHD            <tools>/sshd/sshd                   (if unpacked)
#   ONIONCLOUD_TF_PLUGIN_DIR   terraform -plugin-dir mirror holding hashicorp/aws
#                              (kept if already set; else /opt/tf-plugins if it has
#                              the provider; else searched under /opt, /usr/local, $HOME)
#
# It does not change shell options (no set -e etc.) and is safe to source twice.

ONIONCLOUD_TOOLS_DIR="${ONIONCLOUD_TOOLS_DIR:-$HOME/.cache/onioncloud/tools}"
export ONIONCLOUD_TOOLS_DIR

_onioncloud_path_prepend() {
    case ":$PATH:" in
        *":$1:"*) ;;
        *) PATH="$1${PATH:+:$PATH}" ;;
    esac
}
_onioncloud_path_prepend "$ONIONCLOUD_TOOLS_DIR/cargo/bin"
_onioncloud_path_prepend "$ONIONCLOUD_TOOLS_DIR/venv/bin"
export PATH
unset -f _onioncloud_path_prepend

if [ -x "$ONIONCLOUD_TOOLS_DIR/venv/bin/salt-call" ]; then
    export ONIONCLOUD_SALT_CALL="$ONIONCLOUD_TOOLS_DIR/venv/bin/salt-call"
fi
if [ -x "$ONIONCLOUD_TOOLS_DIR/venv/bin/salt-ssh" ]; then
    export ONIONCLOUD_SALT_SSH="$ONIONCLOUD_TOOLS_DIR/venv/bin/salt-ssh"
fi
if [ -x "$ONIONCLOUD_TOOLS_DIR/checkov-venv/bin/checkov" ]; then
    export ONIONCLOUD_CHECKOV="$ONIONCLOUD_TOOLS_DIR/checkov-venv/bin/checkov"
fi
if [ -z "${ONIONCLOUD_SSHD:-}" ] && [ -x "$ONIONCLOUD_TOOLS_DIR/sshd/sshd" ]; then
    export ONIONCLOUD_SSHD="$ONIONCLOUD_TOOLS_DIR/sshd/sshd"
fi
if [ -z "${ONIONCLOUD_HAPROXY:-}" ] && [ -x "$ONIONCLOUD_TOOLS_DIR/haproxy/haproxy" ]; then
    export ONIONCLOUD_HAPROXY="$ONIONCLOUD_TOOLS_DIR/haproxy/haproxy"
fi
if [ -x "$ONIONCLOUD_TOOLS_DIR/cargo/bin/mdbook" ]; then
    export ONIONCLOUD_MDBOOK="$ONIONCLOUD_TOOLS_DIR/cargo/bin/mdbook"
fi

# Given the path of a provider binary/zip inside a filesystem mirror laid out as
# <dir>/registry.terraform.io/hashicorp/aws/..., print <dir>.
_onioncloud_plugin_root() {
    case "$1" in
        */registry.terraform.io/*) printf '%s\n' "${1%%/registry.terraform.io/*}" ;;
        *) dirname "$1" ;;
    esac
}

_onioncloud_find_tf_plugin_dir() {
    local hit base
    if [ -n "$(find /opt/tf-plugins -name 'terraform-provider-aws*' -print -quit 2>/dev/null)" ]; then
        printf '%s\n' /opt/tf-plugins
        return 0
    fi
    for base in /opt /usr/local "$HOME"; do
        [ -d "$base" ] || continue
        hit="$(find "$base" -maxdepth 9 \
                 \( -name .terraform -o -name .cargo -o -name .rustup -o -name node_modules \
                    -o -name .git -o -name target -o -name venv \) -prune -o \
                 \( -type f -o -type l \) -name 'terraform-provider-aws*' -print -quit 2>/dev/null)"
        if [ -n "$hit" ]; then
            _onioncloud_plugin_root "$hit"
            return 0
        fi
    done
    return 1
}

if [ -z "${ONIONCLOUD_TF_PLUGIN_DIR:-}" ]; then
    ONIONCLOUD_TF_PLUGIN_DIR="$(_onioncloud_find_tf_plugin_dir || true)"
fi
if [ -n "${ONIONCLOUD_TF_PLUGIN_DIR:-}" ]; then
    export ONIONCLOUD_TF_PLUGIN_DIR
else
    unset ONIONCLOUD_TF_PLUGIN_DIR
fi
unset -f _onioncloud_plugin_root _onioncloud_find_tf_plugin_dir
