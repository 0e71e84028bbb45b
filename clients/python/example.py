#!/usr/bin/env python3
"""A tour of execgw's API from Python, against `execgw --demo`.

    python3 clients/python/example.py --server=localhost:50051

It reads an execution, pages through a listing, creates a Polos run with a
request id (twice: the same execution comes back), cancels it, watches it
until it ends, and reads the ErrorInfo of a NOT_FOUND. Each step is a
function of its own, which clients/python/example_test.py calls too.

Needs Debian's python3-grpcio and the modules that the build generates from
protos/ (`scripts/build.sh` writes them to build/clients/python; set
EXECGW_PYTHON_MODULES to use another folder).
"""

import argparse
import os
import sys
import uuid

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(
    0,
    os.environ.get(
        "EXECGW_PYTHON_MODULES",
        os.path.join(_HERE, "..", "..", "build", "clients", "python"),
    ),
)

import grpc  # noqa: E402  (Debian's python3-grpcio)
from google.protobuf import json_format, struct_pb2  # noqa: E402

try:
    from execgw.v1 import execution_pb2
    from execgw.v1 import execution_service_pb2 as api
    from execgw.v1 import execution_service_pb2_grpc as api_grpc
    from google.rpc import error_details_pb2, status_pb2
except ImportError as missing:
    sys.exit(f"example: {missing}: generate the modules first (scripts/build.sh clients)")

State = execution_pb2.Execution.State
TERMINAL_STATES = frozenset(
    [State.STATE_SUCCEEDED, State.STATE_FAILED, State.STATE_CANCELLED, State.STATE_TIMED_OUT]
)

# Names from the demo (`execgw --demo` prints them all).
DEMO_FINISHED = "backends/demo-blaxel/jobs/data-processing-job/executions/exec-1a2b3c"
DEMO_POLOS_BACKEND = "backends/demo-polos"
DEMO_WORKFLOW = "backends/demo-polos/workflows/summarize"
DEMO_MISSING = "backends/demo-blaxel/jobs/data-processing-job/executions/exec-missing"

# Every unary call gets a deadline; a watch only the one its caller gives.
CALL_TIMEOUT_S = 30


def connect(server):
    """A channel (close it when done) and an ExecutionService stub on it."""
    channel = grpc.insecure_channel(server)
    return channel, api_grpc.ExecutionServiceStub(channel)


def state_name(execution):
    return State.Name(execution.state)


def get_execution(stub, name):
    return stub.GetExecution(api.GetExecutionRequest(name=name), timeout=CALL_TIMEOUT_S)


def list_pages(stub, parent, page_size, **query):
    """Yields each page (a ListExecutionsResponse) until next_page_token is empty.

    A page may hold fewer executions than page_size, even none, while more
    follow: only the empty token says the listing is over.
    """
    token = ""
    while True:
        page = stub.ListExecutions(
            api.ListExecutionsRequest(parent=parent, page_size=page_size, page_token=token, **query),
            timeout=CALL_TIMEOUT_S,
        )
        yield page
        token = page.next_page_token
        if not token:
            return


def create_execution(stub, parent, request_id, payload):
    """Starts a Polos run of the workflow `parent` with `payload` (any JSON value).

    The same request_id again returns the same execution instead of starting
    another, so a create whose answer was lost is safe to retry.
    """
    request = api.CreateExecutionRequest(parent=parent, request_id=request_id)
    request.input.CopyFrom(json_format.ParseDict(payload, struct_pb2.Value()))
    return stub.CreateExecution(request, timeout=CALL_TIMEOUT_S)


def cancel_execution(stub, name):
    """The execution after the cancel: STATE_CANCELLING or STATE_CANCELLED."""
    return stub.CancelExecution(api.CancelExecutionRequest(name=name), timeout=CALL_TIMEOUT_S)


def watch(stub, name, etag="", timeout=None):
    """Yields the stream's messages: the snapshot, one per change, heartbeats.

    The stream ends (and so does this generator) right after the execution
    in a terminal state. Pass the last etag received to resume without the
    snapshot being repeated.
    """
    request = api.WatchExecutionRequest(name=name, etag=etag)
    yield from stub.WatchExecution(request, timeout=timeout)


def watch_until_end(stub, name, timeout=None, on_change=None):
    """Follows `name` until it ends; returns its last execution."""
    last = None
    for message in watch(stub, name, timeout=timeout):
        if message.WhichOneof("event") != "execution":
            continue  # a heartbeat: the stream is alive, nothing changed
        last = message.execution
        if on_change is not None:
            on_change(message)
    return last


def status_details(error):
    """The google.rpc.Status that execgw sends with every error, from the
    grpc-status-details-bin trailer, or None."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def error_info(error):
    """The google.rpc.ErrorInfo (reason, domain, metadata) of a failed call, or None."""
    status = status_details(error)
    for detail in status.details if status is not None else ():
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None


def tour(server):
    channel, stub = connect(server)
    with channel:
        execution = get_execution(stub, DEMO_FINISHED)
        print(f"get: {execution.name} is {state_name(execution)} ({execution.raw_status})")

        print(f"list {DEMO_POLOS_BACKEND}, 4 a page:")
        for number, page in enumerate(list_pages(stub, DEMO_POLOS_BACKEND, 4), start=1):
            names = ", ".join(e.execution_id for e in page.executions)
            print(f"  page {number}: {len(page.executions)}: {names}")

        request_id = f"example-{uuid.uuid4().hex[:12]}"
        created = create_execution(stub, DEMO_WORKFLOW, request_id, {"doc": "q3"})
        again = create_execution(stub, DEMO_WORKFLOW, request_id, {"doc": "q3"})
        print(f"create (request_id {request_id}): {created.name} {state_name(created)}")
        print(f"create again with the same request_id: {again.name} (the same execution)")

        cancelled = cancel_execution(stub, created.name)
        print(f"cancel: {state_name(cancelled)} ({cancelled.raw_status})")

        print(f"watch {created.name} until it ends:")
        last = watch_until_end(
            stub,
            created.name,
            timeout=120,
            on_change=lambda m: print(f"  {state_name(m.execution)} ({m.execution.raw_status})"),
        )
        print(f"  ended {state_name(last)}")

        try:
            get_execution(stub, DEMO_MISSING)
        except grpc.RpcError as error:
            info = error_info(error)
            print(f"get {DEMO_MISSING}: {error.code().name}: {error.details()}")
            if info is not None:
                print(f"  ErrorInfo reason={info.reason} domain={info.domain} "
                      f"metadata={dict(sorted(info.metadata.items()))}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="localhost:50051", help="execgw's address, host:port")
    args = parser.parse_args()
    try:
        tour(args.server)
    except grpc.RpcError as error:
        print(f"example: {error.code().name}: {error.details()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
