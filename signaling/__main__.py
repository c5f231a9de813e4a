"""`python -m signaling` / `dartcam-signaling`: runs the signaling server until interrupted."""

from __future__ import annotations

from aiohttp import web

from signaling import tls
from signaling.app import create_app
from signaling.cli import parse_config
from signaling.gc_tuning import tune_gc
from signaling.limits import raise_open_files_limit
from signaling.logs import log_event, setup_logging


def main(argv: list[str] | None = None) -> None:
    """Parses the options and serves forever."""
    config = parse_config(argv)
    setup_logging(config.log_level)
    ssl_context = tls.server_context(tls.cert_files(config)) if config.tls else None
    config = tls.with_public_url(config, config.port)
    log_event(
        "server-starting",
        host=config.host,
        port=config.port,
        redis=config.redis_url is not None,
        tls=config.tls,
        public_url=config.public_url,
        open_files=raise_open_files_limit(),
    )
    app = create_app(config)
    tune_gc()
    web.run_app(
        app,
        host=config.host,
        port=config.port,
        ssl_context=ssl_context,
        access_log=None,
        print=None,
        shutdown_timeout=config.shutdown_timeout,
        # Idle connections (no request, or headers trickling in) are closed after this.
        keepalive_timeout=config.idle_timeout,
    )


if __name__ == "__main__":
    main()
