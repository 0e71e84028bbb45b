"""Tests of the Python example's functions against a running `execgw --demo`.

EXECGW_SERVER names it (clients/with_demo_gateway.sh starts one and sets it);
CTest runs this as clients.python.
"""

import contextlib
import io
import os
import unittest

import grpc

import example
from example import State

BLAXEL_JOB = "backends/demo-blaxel/jobs/data-processing-job"
# Queued when the demo starts, succeeded about 8 s later.
BLAXEL_LIVE = BLAXEL_JOB + "/executions/exec-4d5e6f"
POLOS_DONE = "backends/demo-polos/executions/0d5c3b6e-7f1a-4e2b-9c3d-000000000001"
POLOS_MISSING = "backends/demo-polos/executions/0d5c3b6e-7f1a-4e2b-9c3d-0000000000ff"
WATCH_TIMEOUT_S = 60


class ExampleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = os.environ["EXECGW_SERVER"]
        cls.channel, cls.stub = example.connect(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()

    def assert_error(self, call, code, reason, **metadata):
        with self.assertRaises(grpc.RpcError) as caught:
            call()
        error = caught.exception
        self.assertEqual(error.code(), code, error.details())
        info = example.error_info(error)
        self.assertIsNotNone(info, "no ErrorInfo in grpc-status-details-bin")
        self.assertEqual(info.reason, reason)
        self.assertEqual(info.domain, "execgw.dev")
        for key, value in metadata.items():
            self.assertEqual(info.metadata[key], value, key)
        status = example.status_details(error)
        self.assertEqual(status.code, code.value[0])
        self.assertEqual(status.message, error.details())
        return info

    def test_get_returns_the_execution_asked_for(self):
        for name in (example.DEMO_FINISHED, POLOS_DONE):
            execution = example.get_execution(self.stub, name)
            self.assertEqual(execution.name, name)
            self.assertEqual(execution.state, State.STATE_SUCCEEDED)
            self.assertNotEqual(execution.etag, "")

    def test_paging_walks_every_execution_once(self):
        for parent, page_size in ((example.DEMO_POLOS_BACKEND, 3), (BLAXEL_JOB, 1)):
            with self.subTest(parent=parent):
                pages = list(example.list_pages(self.stub, parent, page_size))
                names = [e.name for page in pages for e in page.executions]
                self.assertGreater(len(pages), 1)
                self.assertTrue(all(len(p.executions) <= page_size for p in pages))
                self.assertEqual(len(names), len(set(names)), "an execution listed twice")
                (one_page,) = example.list_pages(self.stub, parent, 100)
                self.assertEqual(set(names), {e.name for e in one_page.executions})
                self.assertTrue(all(n.startswith(parent + "/") for n in names), names)

    def test_create_with_the_same_request_id_returns_the_same_execution(self):
        first = example.create_execution(self.stub, example.DEMO_WORKFLOW, "py-test-1", {"doc": 1})
        again = example.create_execution(self.stub, example.DEMO_WORKFLOW, "py-test-1", {"doc": 1})
        other = example.create_execution(self.stub, example.DEMO_WORKFLOW, "py-test-2", {"doc": 1})
        self.assertTrue(first.name.startswith("backends/demo-polos/executions/"), first.name)
        self.assertEqual(again.name, first.name)
        self.assertEqual(again.execution_id, first.execution_id)
        self.assertNotEqual(other.name, first.name)
        self.assertEqual(first.input.struct_value.fields["doc"].number_value, 1)
        # The same id for a different request is refused, naming the field.
        self.assert_error(
            lambda: example.create_execution(self.stub, example.DEMO_WORKFLOW, "py-test-1", {"doc": 2}),
            grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", field="request_id")

    def test_cancel_then_watch_to_cancelled(self):
        created = example.create_execution(self.stub, example.DEMO_WORKFLOW, "py-cancel", {"n": 1})
        cancelled = example.cancel_execution(self.stub, created.name)
        self.assertEqual(cancelled.name, created.name)
        self.assertIn(cancelled.state, (State.STATE_CANCELLING, State.STATE_CANCELLED))

        messages = list(example.watch(self.stub, created.name, timeout=WATCH_TIMEOUT_S))
        executions = [m.execution for m in messages if m.WhichOneof("event") == "execution"]
        self.assertTrue(executions)
        # The stream ends right after the terminal execution, and every
        # execution message is a change.
        self.assertEqual(messages[-1].WhichOneof("event"), "execution")
        self.assertEqual(executions[-1].state, State.STATE_CANCELLED)
        self.assertTrue(all(e.state not in example.TERMINAL_STATES for e in executions[:-1]))
        etags = [e.etag for e in executions]
        self.assertEqual(len(etags), len(set(etags)))

        # Cancelling it again, now finished, is refused.
        self.assert_error(lambda: example.cancel_execution(self.stub, created.name),
                          grpc.StatusCode.FAILED_PRECONDITION, "FAILED_PRECONDITION")

    def test_watch_follows_a_live_execution_to_its_end(self):
        seen = []
        last = example.watch_until_end(self.stub, BLAXEL_LIVE, timeout=WATCH_TIMEOUT_S,
                                       on_change=seen.append)
        self.assertEqual(last.name, BLAXEL_LIVE)
        self.assertEqual(last.state, State.STATE_SUCCEEDED)
        self.assertEqual(seen[-1].execution, last)
        self.assertTrue(seen[-1].HasField("confirm_time"))
        # Resuming with the last etag of a finished execution ends at once, empty.
        self.assertEqual(
            list(example.watch(self.stub, BLAXEL_LIVE, etag=last.etag, timeout=WATCH_TIMEOUT_S)), [])

    def test_errors_carry_error_info(self):
        self.assert_error(lambda: example.get_execution(self.stub, example.DEMO_MISSING),
                          grpc.StatusCode.NOT_FOUND, "UPSTREAM_NOT_FOUND",
                          backend="demo-blaxel", http_status="404")
        # Polos answers 500 for a missing execution; the gateway tells it apart.
        self.assert_error(lambda: example.get_execution(self.stub, POLOS_MISSING),
                          grpc.StatusCode.NOT_FOUND, "UPSTREAM_NOT_FOUND", backend="demo-polos")
        self.assert_error(
            lambda: example.get_execution(self.stub, "backends/nowhere/executions/x"),
            grpc.StatusCode.NOT_FOUND, "BACKEND_NOT_CONFIGURED")
        # A stream's error carries it the same way.
        self.assert_error(
            lambda: list(example.watch(self.stub, example.DEMO_MISSING, timeout=WATCH_TIMEOUT_S)),
            grpc.StatusCode.NOT_FOUND, "UPSTREAM_NOT_FOUND")

    def test_the_tour_runs(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            example.tour(self.server)
        text = out.getvalue()
        self.assertIn(f"get: {example.DEMO_FINISHED} is STATE_SUCCEEDED", text)
        self.assertIn("(the same execution)", text)
        self.assertIn("ended STATE_CANCELLED", text)
        self.assertIn("ErrorInfo reason=UPSTREAM_NOT_FOUND domain=execgw.dev", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
