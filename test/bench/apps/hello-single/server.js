// Benchmark app "hello-single": the "hello" app hosted with one worker (see berth.yml), so the added latency of
// one proxy hop can be compared with plain `node server.js`. Same handler, loaded from the "hello" folder.
require('../hello/server.js');
