"""`madoguchi edge`: run the public edge.

  madoguchi edge --listen 0.0.0.0:8443 --public-url https://edge.example.jp --key KEY
  madoguchi edge --listen … --public-url … --tenant kita:KEY1 --tenant minami:KEY2

`--key` serves one city hall at the root of the public URL; each `--tenant NAME:KEY` serves one
under /NAME (its server sets MADOGUCHI_EDGE_URL=https://edge.example.jp/NAME). `--tenants FILE`
reads NAME:KEY lines instead (keys stay out of the process list). Keys must differ: the key says
which city hall a link belongs to.
"""

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import uvicorn

from server.edge.app import EdgeConfig, create_edge_app
from server.edge.state import Tenant
from server.push.webpush import DEFAULT_PUSH_HOSTS, PushSender

TENANT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
MIN_KEY_LENGTH = 16


class TenantRefused(ValueError):
    pass


def parse_tenants(key: str | None, tenant_specs: Sequence[str], *, notify_ahead: int) -> list[Tenant]:
    tenants: list[Tenant] = []
    if key:
        tenants.append(Tenant("default", key, "", notify_ahead=notify_ahead))
    for spec in tenant_specs:
        name, _, tenant_key = spec.strip().partition(":")
        if not TENANT_NAME.match(name) or not tenant_key:
            raise TenantRefused(f"--tenant {name!r}: give NAME:KEY, NAME in lower-case letters, digits, - and _")
        tenants.append(Tenant(name, tenant_key, f"/{name}", notify_ahead=notify_ahead))
    if not tenants:
        raise TenantRefused("give --key KEY, or --tenant NAME:KEY for each city hall")
    for tenant in tenants:
        if len(tenant.key) < MIN_KEY_LENGTH:
            raise TenantRefused(f"the key of {tenant.name!r} is too short: at least {MIN_KEY_LENGTH} characters")
    if len({tenant.key for tenant in tenants}) != len(tenants):
        raise TenantRefused("two city halls share a key: each needs its own")
    if len({tenant.prefix for tenant in tenants}) != len(tenants):
        raise TenantRefused("two city halls share a name")
    return tenants


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="madoguchi edge", description="the public edge for citizens' phones")
    parser.add_argument("--listen", default="127.0.0.1:8080", help="HOST:PORT to listen on")
    parser.add_argument("--public-url", required=True, help="the URL citizens' phones reach this edge at")
    parser.add_argument("--key", help="the key of the one city hall served at the root")
    parser.add_argument("--tenant", action="append", default=[], help="NAME:KEY, one city hall under /NAME")
    parser.add_argument("--tenants", type=Path, help="a file of NAME:KEY lines")
    parser.add_argument("--vapid-key", type=Path, help="PEM private key for Web Push (shared by replicas)")
    parser.add_argument("--push-contact", default="mailto:admin@example.invalid", help="VAPID contact (mailto:)")
    parser.add_argument("--push-hosts", help="comma-separated push service hosts (default: the browsers')")
    parser.add_argument("--no-push", action="store_true", help="offer no Web Push")
    parser.add_argument("--notify-ahead", type=int, default=3, help="notify when this many people are ahead")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    specs = list(args.tenant)
    if args.tenants:
        specs += [line for line in args.tenants.read_text().splitlines() if line.strip() and not line.startswith("#")]
    try:
        tenants = parse_tenants(args.key, specs, notify_ahead=args.notify_ahead)
    except TenantRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    host, _, port = args.listen.rpartition(":")
    push = None if args.no_push else PushSender.from_key_file(args.vapid_key, contact=args.push_contact)
    hosts = tuple(host.strip() for host in args.push_hosts.split(",")) if args.push_hosts else DEFAULT_PUSH_HOSTS
    app = create_edge_app(EdgeConfig(public_url=args.public_url, tenants=tenants, push=push, push_hosts=hosts))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    uvicorn.run(
        app,
        host=host or "127.0.0.1",
        port=int(port),
        log_level="warning",
        ws_max_size=64 * 1024 * 1024,
        ws_ping_interval=10,
        ws_ping_timeout=10,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
