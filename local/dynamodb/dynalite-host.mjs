/**
 * The embedded DynamoDB's own thread (docs/architecture.md, "The local stand-ins"): dynalite servers run
 * here, on loopback, so that their request handling and LevelDB work do not share the event loop of
 * the API and the workflows. Plain JavaScript: a worker thread runs it without a TypeScript loader.
 *
 * Messages in: `{ op: 'start', id, path? }`, `{ op: 'close', id }`, `{ op: 'call', id, server, method,
 * url, headers, body }` (a request for server `server`, the id its start was given); out: `{ id, port }`,
 * `{ id }`, `{ id, status, headers, body }`, or `{ id, error, code? }`.
 */
import { createRequire } from 'node:module';
import { EventEmitter } from 'node:events';
import { parentPort } from 'node:worker_threads';
import dynalite from 'dynalite';

// Where dynalite accepts what DynamoDB refuses, it refuses too (a stand-in is at least as strict as AWS).
// DeleteItem: "ReturnValues … the valid values are NONE … ALL_OLD" (the API model); dynalite takes the
// UpdateItem values too. Its PutItem check answers the message DynamoDB gives.
const deleteItem = createRequire(import.meta.url)('dynalite/validations/deleteItem.js');
const dynaliteDeleteChecks = deleteItem.custom;
deleteItem.custom = function (data, store) {
  if (data.ReturnValues && data.ReturnValues !== 'ALL_OLD' && data.ReturnValues !== 'NONE') return 'ReturnValues can only be ALL_OLD or NONE';
  return dynaliteDeleteChecks(data, store);
};

/** id → { server, calls: requests handed over and not answered yet, closing: what to do once they are }. */
const servers = new Map();

/**
 * A request handed over by message instead of over loopback TCP: the SDK client's signed HTTP request
 * (method, URL, headers, body) goes to the server's own request listener, and its answer (status,
 * headers, body) comes back the same way. A server closed, or closing, refuses it as a closed port
 * does (`ECONNREFUSED`).
 */
function call(message) {
  const entry = servers.get(message.server);
  if (!entry || entry.closing) return parentPort.postMessage({ id: message.id, error: `dynalite server ${message.server} is closed`, code: 'ECONNREFUSED' });
  entry.calls += 1;
  const listener = entry.server.listeners('request')[0];
  const req = new EventEmitter();
  req.method = message.method;
  req.url = message.url;
  req.headers = message.headers;
  const headers = {};
  const res = {
    statusCode: 200,
    setHeader(name, value) {
      headers[name.toLowerCase()] = String(value);
    },
    end(body) {
      parentPort.postMessage({ id: message.id, status: res.statusCode, headers, body: body === undefined ? '' : String(body) });
      entry.calls -= 1;
      if (entry.calls === 0) entry.closing?.();
    },
  };
  listener(req, res);
  if (message.body) req.emit('data', Buffer.from(message.body));
  req.emit('end');
}

parentPort.on('message', (message) => {
  if (message.op === 'call') return call(message);
  const { op, id } = message;
  const fail = (err) => parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  if (op === 'start') {
    const server = dynalite({ ...(message.path === undefined ? {} : { path: message.path }), createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    server.once('error', fail);
    // Port 0: the OS picks a free port, so parallel test files and a running local stack never collide.
    server.listen(0, '127.0.0.1', () => {
      server.off('error', fail);
      servers.set(id, { server, calls: 0, closing: null });
      parentPort.postMessage({ id, port: server.address().port });
    });
  } else if (op === 'close') {
    const entry = servers.get(id);
    if (!entry) return parentPort.postMessage({ id });
    if (entry.closing) return fail(new Error(`dynalite server ${id} is closing already`));
    // The calls handed over finish first, as an HTTP server's open requests do: dynalite closes its store
    // when no single store operation is pending, and a request between two of them would then fail.
    entry.closing = () => {
      entry.closing = () => undefined;
      servers.delete(id);
      entry.server.close((err) => (err ? fail(err) : parentPort.postMessage({ id })));
    };
    if (entry.calls === 0) entry.closing();
  } else {
    fail(new Error(`unknown operation ${op}`));
  }
});
