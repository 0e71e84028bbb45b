#!/usr/bin/env node
// A tour of execgw's API from Node.js, against `execgw --demo`.
//
//   node clients/node/example.js --server=localhost:50051
//
// It reads an execution, pages through a listing, creates a Polos run with a
// request id (twice: the same execution comes back), cancels it, watches it
// until it ends, and reads the ErrorInfo of a NOT_FOUND. Each step is a
// function of its own, which example.test.js calls too.
//
// @grpc/proto-loader reads protos/ at run time, no code generation; the
// google/rpc protos (for the error details) come from Debian's
// golang-github-gogo-googleapis-dev (EXECGW_GOOGLEAPIS_DIR to use another
// folder). `scripts/setup.sh` installs the npm packages (package-lock.json).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
const protobuf = require('protobufjs');

const PROTOS_DIR = path.join(__dirname, '..', '..', 'protos');
const GOOGLEAPIS_DIR =
  process.env.EXECGW_GOOGLEAPIS_DIR || '/usr/share/gocode/src/github.com/gogo/googleapis';

const TERMINAL_STATES = new Set([
  'STATE_SUCCEEDED', 'STATE_FAILED', 'STATE_CANCELLED', 'STATE_TIMED_OUT',
]);

// Names from the demo (`execgw --demo` prints them all).
const DEMO_FINISHED = 'backends/demo-blaxel/jobs/data-processing-job/executions/exec-1a2b3c';
const DEMO_POLOS_BACKEND = 'backends/demo-polos';
const DEMO_WORKFLOW = 'backends/demo-polos/workflows/summarize';
const DEMO_MISSING = 'backends/demo-blaxel/jobs/data-processing-job/executions/exec-missing';

// Every unary call gets a deadline; a watch only the one its caller gives.
const CALL_TIMEOUT_MS = 30000;

// Field names as in the protos (snake_case), enums as their names, int64 as
// strings, unset fields with their defaults, and each oneof's case as a
// field (`message.event` is 'execution' or 'heartbeat').
const LOADER_OPTIONS = {
  keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  includeDirs: [PROTOS_DIR, GOOGLEAPIS_DIR],
};

const definition = protoLoader.loadSync(
  ['execgw/v1/execution_service.proto'], LOADER_OPTIONS);
const ExecutionService = grpc.loadPackageDefinition(definition).execgw.v1.ExecutionService;

// google.rpc.Status and its details, decoded with protobufjs (which
// proto-loader is built on): gRPC clients get messages only from RPCs.
const errorTypes = new protobuf.Root();
errorTypes.resolvePath = (origin, target) => {
  const found = LOADER_OPTIONS.includeDirs.map((d) => path.join(d, target)).find(fs.existsSync);
  return found || target;  // google/protobuf/*: protobufjs has them built in
};
errorTypes.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'],
                    {keepCase: true});
const Status = errorTypes.lookupType('google.rpc.Status');

function connect(server) {
  return new ExecutionService(server, grpc.credentials.createInsecure());
}

function deadline() {
  return new Date(Date.now() + CALL_TIMEOUT_MS);
}

function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, {deadline: deadline()}, (err, response) => {
      if (err) reject(err);
      else resolve(response);
    });
  });
}

// A google.protobuf.Value from plain JSON. protobufjs (under proto-loader)
// has its own copy of the well-known types, whose fields are camelCase
// (`structValue`) even with keepCase.
function toValue(json) {
  if (json === null) return {nullValue: 'NULL_VALUE'};
  if (Array.isArray(json)) return {listValue: {values: json.map(toValue)}};
  switch (typeof json) {
    case 'number': return {numberValue: json};
    case 'string': return {stringValue: json};
    case 'boolean': return {boolValue: json};
    default: {
      const fields = {};
      for (const [key, value] of Object.entries(json)) fields[key] = toValue(value);
      return {structValue: {fields}};
    }
  }
}

function getExecution(client, name) {
  return unary(client, 'GetExecution', {name});
}

// Yields each page (a ListExecutionsResponse) until next_page_token is empty.
// A page may hold fewer executions than page_size, even none, while more
// follow: only the empty token says the listing is over.
async function* listPages(client, parent, pageSize, query = {}) {
  let pageToken = '';
  do {
    const page = await unary(client, 'ListExecutions',
                             {...query, parent, page_size: pageSize, page_token: pageToken});
    yield page;
    pageToken = page.next_page_token;
  } while (pageToken);
}

// Starts a Polos run of the workflow `parent` with `payload` (any JSON
// value). The same requestId again returns the same execution instead of
// starting another, so a create whose answer was lost is safe to retry.
function createExecution(client, parent, requestId, payload) {
  return unary(client, 'CreateExecution',
               {parent, request_id: requestId, input: toValue(payload)});
}

// The execution after the cancel: STATE_CANCELLING or STATE_CANCELLED.
function cancelExecution(client, name) {
  return unary(client, 'CancelExecution', {name});
}

// The stream of WatchExecutionResponse (a Readable: `for await` it): the
// snapshot, one message per change, heartbeats. It ends right after the
// execution in a terminal state. Pass the last etag received to resume
// without the snapshot being repeated.
function watch(client, name, {etag = '', timeoutMs} = {}) {
  const options = timeoutMs ? {deadline: new Date(Date.now() + timeoutMs)} : {};
  return client.WatchExecution({name, etag}, options);
}

// Follows `name` until it ends; resolves to its last execution.
async function watchUntilEnd(client, name, {timeoutMs, onChange} = {}) {
  let last = null;
  for await (const message of watch(client, name, {timeoutMs})) {
    if (message.event !== 'execution') continue;  // a heartbeat: alive, nothing changed
    last = message.execution;
    if (onChange) onChange(message);
  }
  return last;
}

// The google.rpc.Status that execgw sends with every error, from the
// grpc-status-details-bin trailer, its details decoded; or null.
function statusDetails(err) {
  const [bytes] = err.metadata ? err.metadata.get('grpc-status-details-bin') : [];
  if (!bytes) return null;
  const status = Status.toObject(Status.decode(bytes), {defaults: true});
  status.details = status.details.map((any) => {
    const type = errorTypes.lookupType(any.type_url.slice(any.type_url.lastIndexOf('/') + 1));
    return {type: type.fullName.slice(1), ...type.toObject(type.decode(any.value))};
  });
  return status;
}

// The google.rpc.ErrorInfo ({reason, domain, metadata}) of a failed call, or null.
function errorInfo(err) {
  const status = statusDetails(err);
  return (status && status.details.find((d) => d.type === 'google.rpc.ErrorInfo')) || null;
}

async function tour(server, log = console.log) {
  const client = connect(server);
  try {
    const execution = await getExecution(client, DEMO_FINISHED);
    log(`get: ${execution.name} is ${execution.state} (${execution.raw_status})`);

    log(`list ${DEMO_POLOS_BACKEND}, 4 a page:`);
    let number = 0;
    for await (const page of listPages(client, DEMO_POLOS_BACKEND, 4)) {
      const ids = page.executions.map((e) => e.execution_id).join(', ');
      log(`  page ${++number}: ${page.executions.length}: ${ids}`);
    }

    const requestId = `example-${crypto.randomBytes(6).toString('hex')}`;
    const created = await createExecution(client, DEMO_WORKFLOW, requestId, {doc: 'q3'});
    const again = await createExecution(client, DEMO_WORKFLOW, requestId, {doc: 'q3'});
    log(`create (request_id ${requestId}): ${created.name} ${created.state}`);
    log(`create again with the same request_id: ${again.name} (the same execution)`);

    const cancelled = await cancelExecution(client, created.name);
    log(`cancel: ${cancelled.state} (${cancelled.raw_status})`);

    log(`watch ${created.name} until it ends:`);
    const last = await watchUntilEnd(client, created.name, {
      timeoutMs: 120000,
      onChange: (m) => log(`  ${m.execution.state} (${m.execution.raw_status})`),
    });
    log(`  ended ${last.state}`);

    try {
      await getExecution(client, DEMO_MISSING);
    } catch (err) {
      log(`get ${DEMO_MISSING}: ${grpc.status[err.code]}: ${err.details}`);
      const info = errorInfo(err);
      if (info) {
        const metadata = Object.fromEntries(Object.entries(info.metadata).sort());
        log(`  ErrorInfo reason=${info.reason} domain=${info.domain} ` +
            `metadata=${JSON.stringify(metadata)}`);
      }
    }
  } finally {
    client.close();
  }
}

module.exports = {
  TERMINAL_STATES, DEMO_FINISHED, DEMO_POLOS_BACKEND, DEMO_WORKFLOW, DEMO_MISSING,
  connect, getExecution, listPages, createExecution, cancelExecution, watch, watchUntilEnd,
  statusDetails, errorInfo, tour,
};

if (require.main === module) {
  const flag = process.argv.slice(2).find((a) => a.startsWith('--server='));
  tour(flag ? flag.slice('--server='.length) : 'localhost:50051').catch((err) => {
    console.error(`example: ${err.code !== undefined ? grpc.status[err.code] + ': ' : ''}` +
                  `${err.details || err.message}`);
    process.exitCode = 1;
  });
}
