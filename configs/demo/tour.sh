#!/usr/bin/env bash
# A tour of the config tools on their own (./dev.sh tour): doctor, keys, check, import; every
# step runs the real CLI. The tunnel itself is shown by `wg-pr demo` (./dev.sh demo).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /tmp/wg-pr-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. What does this machine offer? wg-pr doctor checks for real (BPF load, cgroup attach, TUN)."
run ./wg-pr doctor || true

step "2. Keys: wg-pr and wg are interchangeable."
umask 077
./wg-pr genkey > "$work/client.key"
printf '$ wg-pr genkey > client.key\n'
printf '$ wg-pr pubkey < client.key   -> %s\n' "$(./wg-pr pubkey < "$work/client.key")"
printf '$ wg pubkey    < client.key   -> %s\n' "$(wg pubkey < "$work/client.key")"

step "3. A config: which apps may use which internal routes. wg-pr check prints what 'up' would do."
run ./wg-pr check configs/corp.toml

step "4. Mistakes are reported all at once, with line and column, and nothing is changed."
cat > "$work/broken.toml" <<'TOML'
[interface]
privateKey = "not-a-key"
address = ["10.8.0.2/32"]
mtu = 70000

[[peer]]
publicKey = "uDHwgsdWsV+l8Nr4CMt1wWrfyBhUYWS7kgs3n8bk2VM="
endpoint = "vpn.example.com"
allowedIPs = ["10.20.0.1/16"]

[[peer.allowedApps]]
name = "ssh"
allow = ["10.30.0.0/16 tcp/22"]
TOML
cat -n "$work/broken.toml"
run ./wg-pr check "$work/broken.toml" || echo "(exit code $?)"

step "5. Coming from wg-quick? wg-pr import converts, and says what it cannot carry over."
cat > "$work/wg0.conf" <<CONF
[Interface]
PrivateKey = $(cat "$work/client.key")
Address = 10.8.0.2/32, fd10:8::2/128
DNS = 10.20.0.53, corp.example
Table = off
PostUp = iptables -A FORWARD -i %i -j ACCEPT

[Peer]
# Name = corp-gw
PublicKey = $(wg genkey | wg pubkey)
Endpoint = [2001:db8::1]:51820
AllowedIPs = 10.20.0.0/16, fd10:20::/32
AllowedApps = ssh, /usr/bin/curl
PersistentKeepalive = 25
CONF
run ./wg-pr import "$work/wg0.conf" -o "$work/wg0.toml"
run cat "$work/wg0.toml"
run ./wg-pr check "$work/wg0.toml"

step "Done. To see a tunnel with the eBPF authorization layer: ./dev.sh demo (wg-pr demo)."
