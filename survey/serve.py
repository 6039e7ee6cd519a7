"""A development server that writes no access log (demo and browser tests).

Werkzeug's request log holds the client address and the full path, which may carry a link
token; neither may be written anywhere (docs/anonymity.md). Production runs gunicorn, whose
access log is off unless asked for.
"""

from __future__ import annotations

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class QuietRequestHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass

    def log_message(self, format: str, *args) -> None:
        pass


def quiet_server(app: Flask, host: str = "127.0.0.1", port: int = 0) -> BaseWSGIServer:
    """A threaded server for ``app``; port 0 picks a free one (``server.server_port``)."""
    return make_server(host, port, app, threaded=True, request_handler=QuietRequestHandler)
