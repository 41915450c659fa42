// startServer: the HTTP server on 127.0.0.1 around one engine; API requests pass the rate limiter first.

import http from 'node:http';
import { HOST } from './config.mjs';
import { createEngine } from './engine.mjs';
import { genesysError } from './responses.mjs';
import { HttpError, readBody, send, sleep, tokenOf } from './http-util.mjs';
import { ROUTES } from './api-routes.mjs';
import { control } from './control-routes.mjs';

/**
 * Start the server. Options: see DEFAULT_OPTIONS, plus `port` (default 0),
 * `now` (() => epoch ms, for tests).
 */
export async function startServer(options = {}) {
  const { port: wantPort = 0, ...engineOptions } = options;
  const engine = createEngine(engineOptions);
  let closing = null;
  let resolveClosed;
  const closed = new Promise((r) => {
    resolveClosed = r;
  });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      const status = err instanceof HttpError ? err.status : 500;
      const code = err instanceof HttpError ? err.code : 'internal.server.error';
      send(res, status, genesysError(status, code, err.message || String(err)));
    });
  });
  server.keepAliveTimeout = 5000;

  async function handle(req, res) {
    const url = new URL(req.url, `http://${HOST}`);
    const path = url.pathname;
    const text = await readBody(req, engine.config.maxBodyBytes);
    if (path.startsWith('/__')) return control(engine, req, res, url, text, close);

    const cfg = engine.config;
    const decision = engine.check(tokenOf(req));
    const common = engine.commonHeaders(decision.t);
    let status;
    let body;
    let headers;
    if (!decision.allowed) {
      status = 429;
      body = decision.body;
      headers = { ...common, ...decision.headers };
    } else {
      headers = { ...common, ...decision.headers };
      const route = ROUTES.find(([methods, re]) => methods.includes(req.method) && re.test(path));
      try {
        if (!route) throw new HttpError(404, 'not.found', `Resource not found: ${req.method} ${path}`);
        ({ status, body } = route[2](engine, route[1].exec(path), req, text));
      } catch (err) {
        if (!(err instanceof HttpError)) throw err;
        status = err.status;
        body = genesysError(err.status, err.code, err.message);
      }
      body = body === undefined ? {} : body;
    }
    engine.countStatus(status);
    if (cfg.latencyMs > 0) await sleep(cfg.latencyMs);
    send(res, status, body, headers);
  }

  function close() {
    if (!closing) {
      closing = new Promise((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections?.();
        // Give in-flight responses a moment, then drop everything.
        setTimeout(() => server.closeAllConnections?.(), 50).unref();
      }).then(() => resolveClosed());
    }
    return closing;
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(wantPort, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  return {
    url: `http://${HOST}:${port}`,
    port,
    host: HOST,
    server,
    address: () => server.address(),
    stats: (opts) => engine.stats(opts),
    reset: (opts) => engine.reset(opts),
    setProfile: (name) => engine.setProfile(name),
    contactIds: (listId) => engine.contactIds(listId),
    messageIds: () => engine.messageIds(),
    get config() {
      return engine.config;
    },
    close,
    closed,
  };
}
