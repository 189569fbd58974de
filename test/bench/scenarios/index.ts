/**
 * Every scenario, in the order they run. To add one, write a module in this folder that exports a Scenario
 * (see ../lib/scenario.ts; throughput scenarios are a few lines with ../lib/load-scenario.ts) and list it here.
 */
import type { Scenario } from '../lib/scenario.js';
import coldStart from './cold-start.js';
import controlApi from './control-api.js';
import cpu, { proxy as cpuProxy } from './cpu.js';
import hello, { proxy as helloProxy } from './hello.js';
import latency, { proxy as latencyProxy } from './latency.js';
import logs from './logs.js';
import memory from './memory.js';
import reload from './reload.js';
import upgrade from './upgrade.js';

export const SCENARIOS: readonly Scenario[] = [hello, helloProxy, cpu, cpuProxy, latency, latencyProxy, coldStart, upgrade, reload, memory, logs, controlApi];
