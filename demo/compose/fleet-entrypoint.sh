#!/bin/sh
# docker-compose.yml, service fleet: sshd (demo/compose/sshd_config, 127.0.0.1:2222) in the background
# and, in the foreground as user remediator, the supervisor with the seven instances of
# demo/fleet.yaml listening on every interface (Prometheus scrapes them from its own container).
# The runbooks log in as remediator too, so demo-restart may signal the instances.
set -eu
mkdir -p /run/sshd /run/demo
chown remediator:remediator /run/demo
/usr/sbin/sshd -D -e -f /app/demo/compose/sshd_config &
export HOME=/home/remediator
exec setpriv --reuid=remediator --regid=remediator --init-groups \
  node /app/demo/supervisor.ts /app/demo/fleet.yaml --state-dir /run/demo --host 0.0.0.0
