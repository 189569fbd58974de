// The benchmark's reference host: node's own `cluster` module running an app's entry in N workers that share one
// TCP port (the primary accepts connections and hands them out round robin, the default on Linux).
//
//   PORT=<tcp port> node cluster.cjs <entry.js> <workers>
//
// Prints "ready" once every worker listens, so the benchmark measures only when all of them serve.
// Stops its workers and exits on SIGTERM or SIGINT.
const cluster = require('node:cluster');
const path = require('node:path');

const [entry, count = '2'] = process.argv.slice(2);
if (!entry || !process.env.PORT) {
  process.stderr.write('usage: PORT=<port> node cluster.cjs <entry.js> <workers>\n');
  process.exit(2);
}

if (cluster.isPrimary) {
  const workers = Number(count);
  let listening = 0;
  cluster.on('listening', () => {
    listening++;
    if (listening === workers) process.stdout.write('ready\n');
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) process.stderr.write(`cluster worker ${worker.process.pid} exited (${signal ?? code})\n`);
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  require(path.resolve(entry));
}
