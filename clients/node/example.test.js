// Tests of the Node example's functions against a running `execgw --demo`.
// EXECGW_SERVER names it (clients/with_demo_gateway.sh starts one and sets
// it); CTest runs this as clients.node: `node example.test.js`.
'use strict';

// Without the npm packages (scripts/setup.sh --no-lint installs none) the
// test is skipped (77, CTest's SKIP_RETURN_CODE), except in CI.
try {
  require.resolve('@grpc/grpc-js');
  require.resolve('@grpc/proto-loader');
  require.resolve('protobufjs');
} catch (err) {
  console.log(`clients/node/node_modules is incomplete (${err.message.split('\n')[0]}): ` +
              'run scripts/setup.sh');
  process.exit(process.env.CI ? 1 : 77);
}

const assert = require('node:assert/strict');
const {after, before, describe, it} = require('node:test');
const grpc = require('@grpc/grpc-js');
const example = require('./example');

const BLAXEL_JOB = 'backends/demo-blaxel/jobs/data-processing-job';
// Queued when the demo starts, succeeded about 8 s later.
const BLAXEL_LIVE = `${BLAXEL_JOB}/executions/exec-4d5e6f`;
const POLOS_DONE = 'backends/demo-polos/executions/0d5c3b6e-7f1a-4e2b-9c3d-000000000001';
const POLOS_MISSING = 'backends/demo-polos/executions/0d5c3b6e-7f1a-4e2b-9c3d-0000000000ff';
const WATCH_TIMEOUT_MS = 60000;

async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('the Node example against execgw --demo', () => {
  const server = process.env.EXECGW_SERVER;
  let client;
  before(() => {
    assert.ok(server, 'EXECGW_SERVER is not set');
    client = example.connect(server);
  });
  after(() => client.close());

  async function assertError(call, code, reason, metadata = {}) {
    const err = await call().then(
      () => assert.fail('the call succeeded'), (e) => e);
    assert.equal(err.code, code, err.details);
    const info = example.errorInfo(err);
    assert.ok(info, 'no ErrorInfo in grpc-status-details-bin');
    assert.equal(info.reason, reason);
    assert.equal(info.domain, 'execgw.dev');
    for (const [key, value] of Object.entries(metadata)) assert.equal(info.metadata[key], value, key);
    const status = example.statusDetails(err);
    assert.equal(status.code, code);
    assert.equal(status.message, err.details);
    return info;
  }

  it('get returns the execution asked for', async () => {
    for (const name of [example.DEMO_FINISHED, POLOS_DONE]) {
      const execution = await example.getExecution(client, name);
      assert.equal(execution.name, name);
      assert.equal(execution.state, 'STATE_SUCCEEDED');
      assert.notEqual(execution.etag, '');
    }
  });

  it('paging walks every execution once', async () => {
    for (const [parent, pageSize] of [[example.DEMO_POLOS_BACKEND, 3], [BLAXEL_JOB, 1]]) {
      const pages = await collect(example.listPages(client, parent, pageSize));
      const names = pages.flatMap((p) => p.executions.map((e) => e.name));
      assert.ok(pages.length > 1, `${parent}: one page`);
      assert.ok(pages.every((p) => p.executions.length <= pageSize));
      assert.equal(new Set(names).size, names.length, `${parent}: an execution listed twice`);
      assert.ok(names.every((n) => n.startsWith(`${parent}/`)), names.join(' '));
      const [onePage, ...more] = await collect(example.listPages(client, parent, 100));
      assert.equal(more.length, 0);
      assert.deepEqual(new Set(names), new Set(onePage.executions.map((e) => e.name)));
    }
  });

  it('create with the same request_id returns the same execution', async () => {
    const wf = example.DEMO_WORKFLOW;
    const first = await example.createExecution(client, wf, 'node-test-1', {doc: 1});
    const again = await example.createExecution(client, wf, 'node-test-1', {doc: 1});
    const other = await example.createExecution(client, wf, 'node-test-2', {doc: 1});
    assert.match(first.name, /^backends\/demo-polos\/executions\//);
    assert.equal(again.name, first.name);
    assert.equal(again.execution_id, first.execution_id);
    assert.notEqual(other.name, first.name);
    assert.equal(first.input.structValue.fields.doc.numberValue, 1);
    // The same id for a different request is refused, naming the field.
    await assertError(() => example.createExecution(client, wf, 'node-test-1', {doc: 2}),
                      grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT', {field: 'request_id'});
  });

  it('cancel, then a watch that ends CANCELLED', async () => {
    const created = await example.createExecution(client, example.DEMO_WORKFLOW, 'node-cancel',
                                                  {n: 1});
    const cancelled = await example.cancelExecution(client, created.name);
    assert.equal(cancelled.name, created.name);
    assert.ok(['STATE_CANCELLING', 'STATE_CANCELLED'].includes(cancelled.state), cancelled.state);

    const messages = await collect(
      example.watch(client, created.name, {timeoutMs: WATCH_TIMEOUT_MS}));
    const executions = messages.filter((m) => m.event === 'execution').map((m) => m.execution);
    // The stream ends right after the terminal execution, and every
    // execution message is a change.
    assert.equal(messages.at(-1).event, 'execution');
    assert.equal(executions.at(-1).state, 'STATE_CANCELLED');
    assert.ok(executions.slice(0, -1).every((e) => !example.TERMINAL_STATES.has(e.state)));
    const etags = executions.map((e) => e.etag);
    assert.equal(new Set(etags).size, etags.length);

    // Cancelling it again, now finished, is refused.
    await assertError(() => example.cancelExecution(client, created.name),
                      grpc.status.FAILED_PRECONDITION, 'FAILED_PRECONDITION');
  });

  it('watch follows a live execution to its end', async () => {
    const seen = [];
    const last = await example.watchUntilEnd(client, BLAXEL_LIVE, {
      timeoutMs: WATCH_TIMEOUT_MS, onChange: (m) => seen.push(m),
    });
    assert.equal(last.name, BLAXEL_LIVE);
    assert.equal(last.state, 'STATE_SUCCEEDED');
    assert.equal(seen.at(-1).execution, last);
    assert.ok(seen.at(-1).confirm_time, 'no confirm_time');
    // Resuming with the last etag of a finished execution ends at once, empty.
    const resumed = await collect(
      example.watch(client, BLAXEL_LIVE, {etag: last.etag, timeoutMs: WATCH_TIMEOUT_MS}));
    assert.deepEqual(resumed, []);
  });

  it('errors carry ErrorInfo', async () => {
    await assertError(() => example.getExecution(client, example.DEMO_MISSING),
                      grpc.status.NOT_FOUND, 'UPSTREAM_NOT_FOUND',
                      {backend: 'demo-blaxel', http_status: '404'});
    // Polos answers 500 for a missing execution; the gateway tells it apart.
    await assertError(() => example.getExecution(client, POLOS_MISSING),
                      grpc.status.NOT_FOUND, 'UPSTREAM_NOT_FOUND', {backend: 'demo-polos'});
    await assertError(() => example.getExecution(client, 'backends/nowhere/executions/x'),
                      grpc.status.NOT_FOUND, 'BACKEND_NOT_CONFIGURED');
    // A stream's error carries it the same way.
    await assertError(
      () => collect(example.watch(client, example.DEMO_MISSING, {timeoutMs: WATCH_TIMEOUT_MS})),
      grpc.status.NOT_FOUND, 'UPSTREAM_NOT_FOUND');
  });

  it('the tour runs', async () => {
    const lines = [];
    await example.tour(server, (line) => lines.push(line));
    const text = lines.join('\n');
    assert.ok(text.includes(`get: ${example.DEMO_FINISHED} is STATE_SUCCEEDED`), text);
    assert.ok(text.includes('(the same execution)'), text);
    assert.ok(text.includes('ended STATE_CANCELLED'), text);
    assert.ok(text.includes('ErrorInfo reason=UPSTREAM_NOT_FOUND domain=execgw.dev'), text);
  });
});
