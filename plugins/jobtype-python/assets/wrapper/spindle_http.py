"""The HTTP side of Spindle's python3 job wrapper: endpoints, request ids, metrics. Standard library only."""
import inspect
import json
import logging
import os
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

BUILTIN_PATHS = ("/perform", "/health", "/live", "/ready", "/metrics")
PROBE_PATHS = ("/health", "/live", "/ready", "/metrics")
request_context = threading.local()
log = logging.getLogger("spindle.wrapper")


class ClientError(Exception):
    """The caller's mistake: answered with a 400 and the message."""


class Text(str):
    """A plain-text answer (the metrics page); anything else a handler returns is sent as JSON."""


def check_call(fn, kwargs):
    """Binding first tells a bad call (400) from a TypeError raised inside the job (500)."""
    try:
        inspect.signature(fn).bind(**kwargs)
    except TypeError as error:
        raise ClientError(str(error)) from None
    except ValueError:
        pass  # no signature to inspect (some builtins): the call itself decides


def label_value(text):
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    def __init__(self):
        self.lock = threading.Lock()
        self.requests = {}
        self.perform_sum = 0.0
        self.perform_count = 0
        self.errors = 0

    def observe(self, path, status):
        with self.lock:
            self.requests[(path, status)] = self.requests.get((path, status), 0) + 1
            if status == 500:
                self.errors += 1

    def observe_perform(self, seconds):
        with self.lock:
            self.perform_sum += seconds
            self.perform_count += 1

    def render(self):
        with self.lock:
            lines = ["# HELP spindle_job_requests_total HTTP requests by path and status.",
                     "# TYPE spindle_job_requests_total counter"]
            lines += [f'spindle_job_requests_total{{path="{label_value(path)}",status="{status}"}} {n}'
                      for (path, status), n in sorted(self.requests.items())]
            lines += ["# HELP spindle_job_perform_duration_seconds Time spent in perform().",
                      "# TYPE spindle_job_perform_duration_seconds summary",
                      f"spindle_job_perform_duration_seconds_sum {self.perform_sum:.6f}",
                      f"spindle_job_perform_duration_seconds_count {self.perform_count}",
                      "# HELP spindle_job_errors_total Requests that failed inside the wrapper or the job (500).",
                      "# TYPE spindle_job_errors_total counter",
                      f"spindle_job_errors_total {self.errors}"]
        return Text("\n".join(lines) + "\n")


class State:
    """What the handler threads share: the job instance (None while starting) and its extra routes."""

    def __init__(self):
        self.instance = None
        self.routes = {}
        self.metrics = Metrics()
        self.info = {"job": os.environ.get("SPINDLE_JOB_NAME", ""),
                     "version": os.environ.get("SPINDLE_JOB_VERSION", ""),
                     "jobtypeVersion": os.environ.get("SPINDLE_JOBTYPE_VERSION", ""),
                     "kernelVersion": os.environ.get("SPINDLE_KERNEL_VERSION", "")}


def auxiliary_routes(instance):
    """The job's `auxiliary_endpoints()` as {"/path": callable}; a bad table is a start-up error."""
    if not callable(getattr(instance, "auxiliary_endpoints", None)):
        return {}
    table = instance.auxiliary_endpoints()
    if not isinstance(table, dict):
        raise ValueError("auxiliary_endpoints() must return a dict of path -> callable")
    routes = {}
    for path, fn in table.items():
        path = "/" + str(path).lstrip("/")
        if path in BUILTIN_PATHS or not callable(fn):
            raise ValueError(f"auxiliary endpoint {path}: needs a callable, on a path other than {', '.join(BUILTIN_PATHS)}")
        routes[path] = fn
    return routes


class Handler(BaseHTTPRequestHandler):
    server_version = "spindle-wrapper"

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    def do_PATCH(self):
        self.dispatch("PATCH")

    def dispatch(self, method):
        incoming = (self.headers.get("X-Request-Id") or "").strip()
        usable = 0 < len(incoming) <= 200 and incoming.isprintable()
        request_context.request_id = incoming if usable else uuid.uuid4().hex
        url = urlsplit(self.path)
        state = self.server.state
        label = url.path if url.path in BUILTIN_PATHS or url.path in state.routes else "other"
        started = time.perf_counter()
        try:
            status, body = self.route(method, url, state)
        except ClientError as error:
            status, body = 400, {"error": str(error)}
        except Exception as error:  # the job's own failure: the caller gets the type, the log the traceback
            log.exception("%s %s failed", method, url.path)
            status, body = 500, {"error": f"{type(error).__name__}: {error}"}
        status, data, kind = self.encode(status, body)
        state.metrics.observe(label, status)
        if label not in PROBE_PATHS:
            log.info("%s %s %d %.3fs", method, url.path, status, time.perf_counter() - started)
        self.send(status, data, kind)
        request_context.request_id = None

    def route(self, method, url, state):
        path, started = url.path, state.instance is not None
        if path == "/live" and method == "GET":
            return 200, {"status": "alive"}
        if path == "/health" and method == "GET":
            return (200 if started else 503), {"status": "ok" if started else "starting", **state.info}
        if path == "/ready" and method == "GET":
            return self.ready(state)
        if path == "/metrics" and method == "GET":
            return 200, state.metrics.render()
        if path == "/perform" and method == "POST":
            if not started:
                return 503, {"error": "the job is still starting"}
            kwargs = self.json_body()
            check_call(state.instance.perform, kwargs)
            begin = time.perf_counter()
            try:
                return 200, state.instance.perform(**kwargs)
            finally:
                state.metrics.observe_perform(time.perf_counter() - begin)
        if path in state.routes and method in ("GET", "POST"):
            kwargs = self.json_body() if method == "POST" else {
                k: v[0] if len(v) == 1 else v for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            check_call(state.routes[path], kwargs)
            return 200, state.routes[path](**kwargs)
        if path in BUILTIN_PATHS or path in state.routes:
            return 405, {"error": f"{method} is not allowed on {path}"}
        known = " ".join(["POST /perform", "GET /health /live /ready /metrics", *state.routes])
        return 404, {"error": f"no endpoint {path} (this job serves {known})"}

    @staticmethod
    def ready(state):
        if state.instance is None:
            return 503, {"status": "starting"}
        check = getattr(state.instance, "ready", None)
        if callable(check):
            try:
                if not check():
                    return 503, {"status": "not ready"}
            except Exception as error:
                log.exception("ready() failed")
                return 503, {"status": "not ready", "error": f"{type(error).__name__}: {error}"}
        return 200, {"status": "ready"}

    def json_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise ClientError("chunked request bodies are not supported: send a Content-Length")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise ClientError("Content-Length is not a number") from None
        raw = self.rfile.read(length) if length > 0 else b""
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as error:
            raise ClientError(f"request body is not valid JSON: {error}") from None
        if not isinstance(body, dict):
            raise ClientError(f"request body must be a JSON object of keyword arguments, not {type(body).__name__}")
        return body

    @staticmethod
    def encode(status, body):
        if isinstance(body, Text):
            return status, body.encode(), "text/plain; version=0.0.4; charset=utf-8"
        try:
            return status, json.dumps(body, allow_nan=False).encode(), "application/json"
        except (TypeError, ValueError) as error:
            log.error("the result is not JSON-serialisable: %s", error)
            return 500, json.dumps({"error": f"the result is not JSON-serialisable: {error}"}).encode(), "application/json"

    def send(self, status, data, kind):
        try:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Request-Id", request_context.request_id)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            log.warning("the client went away before the answer")

    def log_message(self, *_args):
        pass  # dispatch() logs each request once, with its request id


class Server(ThreadingHTTPServer):
    daemon_threads = False  # so server_close() lets requests in flight finish


def make_server(host, port):
    cls = type("Server6", (Server,), {"address_family": socket.AF_INET6}) if ":" in host else Server
    server = cls((host, port), Handler)
    server.state = State()
    return server
