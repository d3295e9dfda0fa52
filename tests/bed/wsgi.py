"""Small WSGI helpers the bed's middlewares share."""


def call(app, environ):
    """Runs `app` on `environ` and returns (status, headers, body) in full."""
    captured = {}

    def capture(status, headers, exc_info=None):
        captured["status"] = status
        captured["headers"] = headers
        return lambda data: None

    chunks = app(environ, capture)
    try:
        body = b"".join(chunks)
    finally:
        if hasattr(chunks, "close"):
            chunks.close()
    return captured["status"], captured["headers"], body


def answer(start_response, status, headers, body):
    """Sends `body` with `headers`, its Content-Length recomputed."""
    headers = [(n, v) for n, v in headers if n.lower() != "content-length"]
    headers.append(("Content-Length", str(len(body))))
    start_response(status, headers)
    return [body]
