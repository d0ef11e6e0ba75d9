"""moto in server mode, with DynamoDB's writes made atomic as they are in AWS.

moto serves each request on its own thread and checks a ConditionExpression,
then writes, without a lock, so two concurrent conditional writes can both
pass: the hook stores' optimistic-concurrency tests would then fail for the
emulator's sake, not ours. This wrapper serialises DynamoDB requests (AWS's
own conditional writes are atomic per item) and leaves the rest concurrent,
so SQS long polls still wait side by side. Usage: moto_server.py HOST PORT.
"""

import os
import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    os.environ.setdefault("MOTO_PORT", str(port))
    app = DomainDispatcherApplication(create_backend_app)
    lock = threading.Lock()

    def serialized(environ, start_response):
        if environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            with lock:
                # Consume the body inside the lock: the write happens while
                # the response is produced.
                return list(app(environ, start_response))
        return app(environ, start_response)

    run_simple(host, port, serialized, threaded=True)


if __name__ == "__main__":
    main()
