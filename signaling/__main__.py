"""`python -m signaling` / `dartcam-signaling`: runs the signaling server until interrupted."""

from __future__ import annotations

import sys

from aiohttp import web

from signaling import reach, tls
from signaling.app import create_app
from signaling.cli import parse_config
from signaling.gc_tuning import tune_gc
from signaling.limits import raise_open_files_limit
from signaling.logs import log_event, setup_logging
from signaling.protocol import PHONE_PAGE_PATH
from signaling.server import bind


def main(argv: list[str] | None = None) -> None:
    """Parses the options and serves forever."""
    config = parse_config(argv)
    setup_logging(config.log_level)
    # Bound first: the phone URL names the port, which --port 0 picks here.
    try:
        sock = bind(config.host, config.port)
        config, how = reach.resolve(config, sock.getsockname()[1])
        ssl_context = tls.server_context(how.cert_files) if how.cert_files else None
    except (OSError, ValueError) as exc:
        sys.exit(f"dartcam-signaling: cannot serve on {config.host}:{config.port}: {exc}")
    log_event(
        "server-starting",
        host=config.host,
        port=sock.getsockname()[1],
        redis=config.redis_url is not None,
        tls=config.tls,
        public_url=config.public_url,
        phone_bases=list(how.bases),
        open_files=raise_open_files_limit(),
    )
    # For the person at the terminal (the log lines go to stderr): where phones go, and what they see.
    for index, base in enumerate(how.bases):
        label = "Phone page:" if index == 0 else "Also at:   "
        print(f"{label} {base}{PHONE_PAGE_PATH} (it asks for the pairing code)")
    hint = reach.phone_hint(how.bases[0], how.self_signed) if how.bases else None
    if hint:
        print(hint)
    if how.self_signed_cert:
        print(reach.certificate_note(how.self_signed_cert))
    sys.stdout.flush()
    app = create_app(config)
    tune_gc()
    web.run_app(
        app,
        sock=sock,
        ssl_context=ssl_context,
        access_log=None,
        print=None,
        shutdown_timeout=config.shutdown_timeout,
        # Idle connections (no request, or headers trickling in) are closed after this.
        keepalive_timeout=config.idle_timeout,
    )


if __name__ == "__main__":
    main()
