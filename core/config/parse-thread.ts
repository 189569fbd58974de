/** Runs on a worker thread: reads one big settings file (see load.ts, applyFileOnThread) off the engine's thread. */
import { parentPort, workerData } from 'node:worker_threads';
import { applyFileJob, type FileJob } from './load.js';

parentPort!.postMessage(applyFileJob(workerData as FileJob));
