"""A plain WSGI app for the serve and reload tests; tests rewrite VERSION."""

VERSION = "v1"


def application(environ, start_response):
    body = VERSION.encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
