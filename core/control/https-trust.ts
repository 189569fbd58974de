/**
 * `https.status` and `https.trust`: the HTTPS front and its local CA as the desktop app's "Trust local HTTPS" button
 * sees them. The same plan as `berth trust` (core/tls/trust.ts): on Windows Berth runs certutil on the current user's
 * Root store (no admin rights; Windows asks the user to confirm), elsewhere it answers with the exact commands and
 * runs nothing. Nothing is trusted but on that call.
 */
import { readFile } from 'node:fs/promises';
import type { EngineHttps } from '../engine/https.js';
import type { Platform } from '../platform/platform.js';
import { certutilArgs, runCertutil, trustPlan, type TrustPlan } from '../tls/trust.js';
import { ControlCallError } from './call-errors.js';
import type { HttpsStatus, HttpsTrustResult } from './protocol.js';

/** What these calls read of the engine (`Engine` has it). */
export interface HttpsSource {
  readonly https: Pick<EngineHttps, 'info' | 'problem' | 'caPath'> | undefined;
  readonly platform: Platform;
}

/** Runs certutil with these arguments (injected in tests: certutil is Windows'). */
export type CertutilRunner = (args: string[]) => Promise<{ code: number; output: string }>;

async function planOf(source: HttpsSource): Promise<TrustPlan | undefined> {
  const https = source.https;
  if (!https) return undefined;
  let pem: string;
  try {
    pem = await readFile(https.caPath, 'utf8');
  } catch (error) {
    throw new ControlCallError(
      'HTTPS_OFF',
      `Berth's local CA ${https.caPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Restart Berth to make it again.`,
    );
  }
  return trustPlan(source.platform, https.caPath, pem);
}

function statusOf(source: HttpsSource, plan: TrustPlan | undefined): HttpsStatus {
  const https = source.https;
  return {
    port: https?.info?.port ?? null,
    problem: https ? (https.problem ?? null) : 'This engine was started without HTTPS (berth serve --https-port off).',
    caPath: plan?.caPath ?? null,
    thumbprint: plan?.thumbprint ?? null,
    canInstall: plan?.canInstall ?? false,
    steps: plan?.steps.map((step) => ({ label: step.label, commands: step.trust })) ?? [],
  };
}

export async function httpsStatus(source: HttpsSource): Promise<HttpsStatus> {
  return statusOf(source, await planOf(source));
}

export async function trustHttps(source: HttpsSource, run: CertutilRunner = runCertutil): Promise<HttpsTrustResult> {
  const plan = await planOf(source);
  const status = statusOf(source, plan);
  if (!plan) throw new ControlCallError('HTTPS_OFF', `${status.problem} There is no local CA to trust; start Berth with HTTPS on.`);
  if (!plan.canInstall) return { installed: false, output: '', status };
  const result = await run(certutilArgs(plan, 'trust'));
  if (result.code !== 0) {
    throw new ControlCallError(
      'TRUST_FAILED',
      `certutil could not add Berth's local CA (${plan.caPath}) to your Root store (exit code ${result.code}): ${result.output.trim() || 'no output'}. If you declined Windows' confirmation, click the button again and choose Yes; or run: ${plan.steps[0]!.trust[0]}`,
      { output: result.output },
    );
  }
  return { installed: true, output: result.output, status };
}
