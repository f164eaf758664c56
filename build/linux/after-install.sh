#!/bin/sh
# deb post-install: the user the systemd unit runs as (no login, no home), and systemd told of the new unit.
getent passwd pacs >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin pacs
systemctl daemon-reload >/dev/null 2>&1 || true
