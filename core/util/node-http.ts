/**
 * node:http, loaded the CommonJS way. In Node 24 an ES `import ... from 'node:http'` (default or named) builds the
 * module's ES namespace by reading every export, and three of them (`WebSocket`, `CloseEvent`, `MessageEvent`) are
 * lazy getters that load undici, Node's fetch library: about 13 MB of resident memory in a process that never uses
 * it (measured: an empty script with `import 'node:http'` sits at 58 MB, with `require('node:http')` at 45 MB).
 * `require` reads nothing until asked. Engine code imports `http` from here; types still come from
 * `import type ... from 'node:http'` (erased at build time). ESLint refuses value imports of node:http in core/.
 */
import { createRequire } from 'node:module';
import type * as NodeHttp from 'node:http';

export const http: typeof NodeHttp = createRequire(import.meta.url)('node:http') as typeof NodeHttp;
