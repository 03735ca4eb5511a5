"""Spindle's python3 job wrapper: loads a job class and serves it over HTTP, or runs it once (batch).

Run as `python3 spindle_wrapper.py`; standard library only. The environment it reads is described
in the jobtype-python plugin's docs/usage.md. Exit codes: 0 done, or stopped by SIGTERM (service);
1 the job failed (traceback on stderr); 2 the job cannot be loaded as configured (one line on stderr);
143 a batch job stopped by SIGTERM before it finished.
"""
import importlib
import importlib.util
import inspect
import io
import logging
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # also under python -P / PYTHONSAFEPATH
from spindle_http import auxiliary_routes, make_server, request_context  # noqa: E402

STDIN_MESSAGE = ("spindle: this job read from stdin during start-up; jobs get no standard input"
                 " — pass data as env or request body")
log = logging.getLogger("spindle.wrapper")


class NoStdin(io.TextIOBase):
    """Stands in for sys.stdin: a job waiting on input would otherwise hang its deploy for good."""

    def _refuse(self, *_args, **_kwargs):
        raise RuntimeError(STDIN_MESSAGE)

    read = readline = readlines = __next__ = _refuse

    def __iter__(self):
        return self

    def fileno(self):
        raise io.UnsupportedOperation(STDIN_MESSAGE)

    def readable(self):
        return False

    @property
    def buffer(self):
        return self


class LoadError(Exception):
    """The job cannot be loaded as configured: exit 2 with one clear line."""


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = getattr(request_context, "request_id", None) or "-"
        return True


def setup_logging():
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    formatter = logging.Formatter("%(asctime)s.%(msecs)03dZ %(levelname)s %(name)s [%(request_id)s] %(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def required_env(name):
    value = os.environ.get(name, "")
    if not value:
        raise LoadError(f"environment variable {name} is not set")
    return value


def load_class(job_dir, entry_path, class_name):
    full = os.path.join(job_dir, entry_path)
    if not os.path.isfile(full):
        raise LoadError(f"entrypoint file {entry_path} not found in {job_dir} (SPINDLE_ENTRYPOINT_PATH)")
    sys.path.insert(0, job_dir)
    parts = entry_path[:-3].replace(os.sep, "/").split("/") if entry_path.endswith(".py") else []
    module = None
    if parts and all(part.isidentifier() for part in parts):
        # by name, so package-relative imports inside the job work
        module = importlib.import_module(".".join(parts))
    if module is None or os.path.realpath(getattr(module, "__file__", None) or "") != os.path.realpath(full):
        # not importable by name, or the name is taken already (a job file called json.py)
        spec = importlib.util.spec_from_file_location("spindle_job", full)
        module = importlib.util.module_from_spec(spec)
        sys.modules["spindle_job"] = module
        spec.loader.exec_module(module)
    cls = getattr(module, class_name, None)
    if not inspect.isclass(cls):
        raise LoadError(f"class {class_name} not found in {entry_path} (SPINDLE_ENTRYPOINT_CLASS)")
    return cls


def serve(cls):
    host = os.environ.get("SPINDLE_BIND_HOST") or "127.0.0.1"
    port = required_env("PORT")
    if not port.isdigit():
        raise LoadError(f"PORT must be a number, got {port!r}")
    server = make_server(host, int(port))
    state = server.state
    stopping = threading.Event()

    def on_term(signum, _frame):
        log.info("%s received: stopping", signal.Signals(signum).name)
        stopping.set()
        if state.instance is None:
            raise SystemExit(0)  # still constructing the job: nothing to drain

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    # Serve from the start so /live answers while a slow constructor runs; /health waits for it.
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    try:
        instance = cls()
        if not callable(getattr(instance, "perform", None)):
            raise LoadError(f"class {cls.__name__} has no perform() method (a service job needs one)")
        try:
            state.routes = auxiliary_routes(instance)
        except ValueError as error:
            raise LoadError(str(error)) from None
        state.instance = instance
        log.info("serving %s on http://%s:%s", cls.__name__, host, port)
        while not stopping.wait(1):
            pass
    finally:
        server.shutdown()
        server.server_close()


def run_batch(cls):
    def on_term(_signum, _frame):
        log.warning("SIGTERM received before the batch job finished")
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, on_term)
    instance = cls()
    step = getattr(instance, "run", None) or getattr(instance, "perform", None)
    if not callable(step):
        raise LoadError(f"class {cls.__name__} has neither run() nor perform() (a batch job needs one)")
    started = time.perf_counter()
    result = step()
    log.info("batch job finished in %.3fs%s", time.perf_counter() - started,
             "" if result is None else f"; result: {result!r}")


def main():
    sys.stdin = NoStdin()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # a job's print() reaches the log at once
    setup_logging()
    try:
        kind = os.environ.get("SPINDLE_JOB_KIND") or "service"
        if kind not in ("service", "batch"):
            raise LoadError(f"SPINDLE_JOB_KIND must be service or batch, got {kind!r}")
        job_dir = os.environ.get("SPINDLE_JOB_DIR") or os.getcwd()
        cls = load_class(job_dir, required_env("SPINDLE_ENTRYPOINT_PATH"), required_env("SPINDLE_ENTRYPOINT_CLASS"))
        (run_batch if kind == "batch" else serve)(cls)
    except LoadError as error:
        print(f"spindle: {error}", file=sys.stderr, flush=True)
        return 2
    except Exception as error:
        log.exception("the job failed: %s: %s", type(error).__name__, error)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
