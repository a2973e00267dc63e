"""A moto server on loopback, for tests and benchmarks that reach AWS over HTTP.

The console script and the Lambda handler then run unchanged against it: point
``OFFHOURS_AWS_ENDPOINT_URL`` (and boto3's own ``AWS_ENDPOINT_URL``) at ``url``.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

# moto accepts any credentials; these keep boto3 from looking for real ones.
FAKE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """Start a moto server on 127.0.0.1 (a free port) and yield its URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # A threaded server keeps its resources in moto's process-wide backends: what an
    # earlier server in this process (a test module before, on the same worker) created
    # would still be there. Each server starts empty.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST")).close()
    try:
        yield url
    finally:
        server.stop()
