// Benchmark app "cpu": every request burns 0.5 ms of CPU in a busy loop, like an app doing real work (templating,
// JSON, crypto). With work per request, the proxy's own cost matters less and the balancing across workers more.
const http = require('http');

const BURN_NS = 500000n; // 0.5 ms

http
  .createServer((req, res) => {
    const until = process.hrtime.bigint() + BURN_NS;
    while (process.hrtime.bigint() < until) {
      // busy: keeps the worker's event loop (and one core) occupied
    }
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('done');
  })
  .listen(process.env.PORT);
