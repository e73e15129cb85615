#!/bin/sh
# docker-compose.yml, service demo-keys: the demo's SSH keys, made on the first `docker compose up` and
# kept in volumes afterwards (a key already there is kept).
#
#   make-keys.sh <host-dir> <client-dir> [<haproxy-run-dir>]
#
# <host-dir>   (volume demo-ssh-host, the fleet container's /etc/demo-ssh): the sshd host key and
#              authorized_keys, which holds the client's public key.
# <client-dir> (volume demo-ssh-client, remediator's /app/data/demo, where inventory.yaml looks):
#              id_ed25519, the client key without passphrase, and known_hosts pinning the host key for
#              [127.0.0.1]:2222 (the fleet shares remediator's network).
# <haproxy-run-dir> (volume haproxy-run): made writable for the fleet's user, whose uid HAProxy runs
#              with, so its admin socket (mode 600) is theirs.
# Run as root, it gives id_ed25519 to CLIENT_UID (default 1000, `node` in remediator's image) and the
# HAProxy dir to FLEET_UID (default 10001, `remediator` in demo/Dockerfile).
set -eu
if [ "$#" -lt 2 ] || [ "$#" -gt 3 ]; then
  echo "usage: make-keys.sh <host-dir> <client-dir> [<haproxy-run-dir>]" >&2
  exit 2
fi
host=$1
client=$2
run=${3:-}
mkdir -p "$host" "$client"
if [ ! -s "$host/ssh_host_ed25519_key" ]; then
  rm -f "$host/ssh_host_ed25519_key.pub"
  ssh-keygen -q -t ed25519 -N '' -C demo-fleet -f "$host/ssh_host_ed25519_key"
fi
if [ ! -s "$client/id_ed25519" ]; then
  rm -f "$client/id_ed25519.pub"
  ssh-keygen -q -t ed25519 -N '' -C remediator -f "$client/id_ed25519"
fi
cp "$client/id_ed25519.pub" "$host/authorized_keys"
printf '[127.0.0.1]:2222 %s\n' "$(cut -d' ' -f1,2 "$host/ssh_host_ed25519_key.pub")" >"$client/known_hosts"
chmod 600 "$host/ssh_host_ed25519_key" "$client/id_ed25519"
chmod 644 "$host/authorized_keys" "$client/known_hosts"
if [ "$(id -u)" = 0 ]; then
  chown "${CLIENT_UID:-1000}" "$client/id_ed25519"
  if [ -n "$run" ]; then
    mkdir -p "$run"
    chown "${FLEET_UID:-10001}" "$run"
    chmod 700 "$run"
  fi
fi
echo "demo keys ready: host key $(cut -d' ' -f2 "$host/ssh_host_ed25519_key.pub" | cut -c1-16)..."
