/**
 * Runs in a short-lived child process (forked by local-ca.ts): makes the local CA, so the X.509 library's memory
 * goes away with the process instead of staying in the engine (a worker thread's memory stays in the engine's RSS).
 * The job is argv[2] (JSON); the answer, `{ pem }` or `{ error }`, goes back over the IPC channel.
 */
import { createCa } from './x509-work.js';

const job = JSON.parse(process.argv[2]!) as { home: string; cert: string; key: string };
const answer = (message: { pem?: string; error?: string }) => process.send!(message, () => process.disconnect());
createCa(job.home, job.cert, job.key).then(
  (pem) => answer({ pem }),
  (error: Error) => answer({ error: error.message }),
);
