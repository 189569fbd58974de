// Benchmark app "ticker": an idle app whose workers can print timestamped lines at a steady rate, for the control-API
// scenario (how late a subscriber sees a line). Each worker reads ticker.json next to this file (written by the
// benchmark into its copy of the app): { "linesPerSecond": <per worker> }; 0 or no file: it prints nothing.
// A line is "tick <epoch ms, to the microsecond> <worker pid> <seq>", printed on stdout.
const fs = require('fs');
const http = require('http');
const path = require('path');

let rate = 0;
try {
  rate = Number(JSON.parse(fs.readFileSync(path.join(__dirname, 'ticker.json'), 'utf8')).linesPerSecond) || 0;
} catch {
  // no ticker.json: quiet
}

if (rate > 0) {
  // Every 10 ms, print as many lines as the rate asks for since the start (catching up after a late timer).
  const start = performance.now();
  let printed = 0;
  setInterval(() => {
    const due = Math.floor(((performance.now() - start) / 1000) * rate);
    for (; printed < due; printed++) {
      process.stdout.write(`tick ${(performance.timeOrigin + performance.now()).toFixed(3)} ${process.pid} ${printed}\n`);
    }
  }, 10);
}

http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('tick');
  })
  .listen(process.env.PORT);
