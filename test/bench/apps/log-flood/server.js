// Benchmark app "log-flood": a worker that prints 1 KB lines to stdout as fast as it can, to measure what capturing
// its output costs. It starts printing on its first request to /start (so the benchmark decides when, under Berth
// and under the reference alike; other paths just answer, for readiness checks), answers that request at once,
// prints for BENCH_LOG_SECONDS seconds (default 3), and then writes its own figures as JSON to BENCH_RESULT_FILE:
// lines and bytes written, the time it took, lines per second.
//
// Lines are written one by one with process.stdout.write, as console.log would, and with backpressure respected
// (wait for 'drain' when write() says so), so the worker never buffers more than its stream allows: when the
// reader is slower, the worker is slowed down, which is what the benchmark measures.
const fs = require('fs');
const http = require('http');

const SECONDS = Number(process.env.BENCH_LOG_SECONDS || 3);
const RESULT_FILE = process.env.BENCH_RESULT_FILE;
// 1 KB per line, newline included; fixed text, so the log files can be checked for lost bytes (size = lines × 1024).
const LINE = `${'log line '.repeat(114).slice(0, 1023)}\n`;
if (Buffer.byteLength(LINE) !== 1024) throw new Error('LINE must be 1024 bytes');

let started = false;

function flood() {
  const startedAt = Date.now();
  const until = startedAt + SECONDS * 1000;
  let lines = 0;
  const pump = () => {
    while (Date.now() < until) {
      // Check the clock every 64 lines: cheap, and at most 64 KB past the deadline.
      for (let i = 0; i < 64; i++) {
        lines++;
        if (!process.stdout.write(LINE)) {
          process.stdout.once('drain', pump);
          return;
        }
      }
    }
    // Counted once the last write is accepted by the stream (for a file or the null device: written).
    const endedAt = Date.now();
    const seconds = (endedAt - startedAt) / 1000;
    const result = { lines, bytes: lines * 1024, seconds, linesPerSecond: lines / seconds, startedAt, endedAt, pid: process.pid };
    if (RESULT_FILE) {
      fs.writeFileSync(`${RESULT_FILE}.tmp`, JSON.stringify(result));
      fs.renameSync(`${RESULT_FILE}.tmp`, RESULT_FILE); // the benchmark never reads half a file
    } else {
      process.stderr.write(`${JSON.stringify(result)}\n`);
    }
  };
  pump();
}

http
  .createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    if (req.url !== '/start') {
      res.end('ready');
      return;
    }
    res.end(started ? 'already printing' : 'printing');
    if (!started) {
      started = true;
      setImmediate(flood);
    }
  })
  .listen(process.env.PORT);
