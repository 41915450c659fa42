// Loopback HTTP test server that rate-limits like the Genesys Cloud Platform API.
//
// Library:  import { startServer } from './server.mjs'
//           const srv = await startServer({ profile: 'genesys', burst: 15, ratePerMin: 300 })
// CLI:      node tests/server/server.mjs --profile genesys [--port 0] [--max-seconds 600]
//           prints {"url":"http://127.0.0.1:PORT","port":PORT} on one line when listening.
//
// Node built-ins only. See README.md in this folder for the full documentation; the parts live in lib/:
//   config.mjs          profiles, defaults, option validation (resolveConfig)
//   engine.mjs          createEngine: configuration, clock origin and state, without HTTP
//   limiter.mjs         GCRA per token, early retries, strict lockout, window/budget counts
//   responses.mjs       each profile's rate-limit headers and 429 bodies
//   records.mjs         the state, and what the Genesys endpoints record (contacts, messages, ...)
//   stats.mjs           the /__stats report
//   start-server.mjs    startServer: HTTP on 127.0.0.1 around one engine
//   api-routes.mjs      the rate-limited API endpoints
//   control-routes.mjs  the /__* control endpoints
//   http-util.mjs       bodies, JSON, tokens, errors, responses
//   cli.mjs             the command line (parseCliArgs, main)

import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from './lib/cli.mjs';

export { HOST, PROFILES, DEFAULT_OPTIONS, BUDGET_WINDOWS_MS, resolveConfig } from './lib/config.mjs';
export { createEngine } from './lib/engine.mjs';
export { startServer } from './lib/start-server.mjs';
export { parseCliArgs } from './lib/cli.mjs';

const isMain = (() => {
  if (!process.argv[1]) return false;
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (isMain) main();
