/**
 * Trusting the local CA: the exact commands for each system, to add it to (and remove it from) the places browsers
 * and tools look. Nothing is trusted silently: on Windows `berth trust` runs certutil on the current user's Root store
 * (no admin rights; Windows shows its own confirmation dialog), elsewhere Berth prints the commands for the user to
 * run. Pure functions, apart from `runCertutil`.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import type { Platform } from '../platform/platform.js';

/** The nickname the CA gets in an NSS database (Chromium and Firefox on Linux). */
export const NSS_NICKNAME = 'Berth local CA';
/** Its file name among the system's CA certificates on Debian and Ubuntu (update-ca-certificates wants .crt). */
const DEBIAN_FILE = '/usr/local/share/ca-certificates/berth-local-ca.crt';

/** One way to trust the CA: what it covers, and the commands to add and to remove it. */
export interface TrustStep {
  label: string;
  trust: string[];
  untrust: string[];
}

export interface TrustPlan {
  platform: Platform;
  caPath: string;
  /** The CA's SHA-1 thumbprint in hex (how certutil and macOS's security tool name a certificate). */
  thumbprint: string;
  /** Whether Berth itself can run the first step (Windows: certutil on the user's store, no admin rights). */
  canInstall: boolean;
  steps: TrustStep[];
}

function posixQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** The thumbprint certutil and `security` print: SHA-1 of the DER certificate, hex without separators. */
export function thumbprintOf(certPem: string): string {
  return new X509Certificate(certPem).fingerprint.replace(/:/g, '');
}

/** The commands that trust (and untrust) the CA at `caPath` on `platform`. */
export function trustPlan(platform: Platform, caPath: string, certPem: string): TrustPlan {
  const thumbprint = thumbprintOf(certPem);
  const base = { platform, caPath, thumbprint };
  if (platform === 'win32') {
    const file = `"${caPath}"`;
    return {
      ...base,
      canInstall: true,
      steps: [
        {
          label: "Windows (the current user's Root store: Edge, Chrome and most programs; no admin rights)",
          trust: [`certutil -user -addstore Root ${file}`],
          untrust: [`certutil -user -delstore Root ${thumbprint}`],
        },
      ],
    };
  }
  const file = posixQuote(caPath);
  if (platform === 'darwin') {
    const keychain = '~/Library/Keychains/login.keychain-db';
    return {
      ...base,
      canInstall: false,
      steps: [
        {
          label: 'macOS (your login keychain: Safari, Chrome, Edge; macOS asks for your password)',
          trust: [`security add-trusted-cert -r trustRoot -k ${keychain} ${file}`],
          untrust: [`security remove-trusted-cert ${file}`, `security delete-certificate -Z ${thumbprint} ${keychain}`],
        },
        nssStep(file),
      ],
    };
  }
  return {
    ...base,
    canInstall: false,
    steps: [
      {
        label: 'Debian, Ubuntu (the system store: curl, wget, most programs; needs sudo)',
        trust: [`sudo cp ${file} ${DEBIAN_FILE}`, 'sudo update-ca-certificates'],
        untrust: [`sudo rm ${DEBIAN_FILE}`, 'sudo update-ca-certificates --fresh'],
      },
      {
        label: 'Fedora, RHEL, Arch (the system trust store; needs sudo)',
        trust: [`sudo trust anchor --store ${file}`],
        untrust: [`sudo trust anchor --remove ${file}`],
      },
      nssStep(file),
    ],
  };
}

/** Chromium and Firefox keep their own store (NSS) on Linux; certutil there comes with libnss3-tools / nss-tools. */
function nssStep(file: string): TrustStep {
  return {
    label: 'Chromium, Chrome, Firefox (their NSS database; certutil from libnss3-tools or nss-tools)',
    trust: [`certutil -d sql:$HOME/.pki/nssdb -A -t "C,," -n "${NSS_NICKNAME}" -i ${file}`],
    untrust: [`certutil -d sql:$HOME/.pki/nssdb -D -n "${NSS_NICKNAME}"`],
  };
}

/** The plan as text for a terminal: each step's label, then its commands. */
export function describePlan(plan: TrustPlan, action: 'trust' | 'untrust'): string {
  let text = '';
  for (const step of plan.steps) {
    text += `\n  ${step.label}:\n`;
    for (const command of step[action]) text += `    ${command}\n`;
  }
  return text;
}

/** The certutil arguments Berth runs on Windows for `berth trust` / `berth untrust`. */
export function certutilArgs(plan: TrustPlan, action: 'trust' | 'untrust'): string[] {
  return action === 'trust' ? ['-user', '-addstore', 'Root', plan.caPath] : ['-user', '-delstore', 'Root', plan.thumbprint];
}

/** Runs Windows' certutil (hidden console; its confirmation dialog is Windows' own). */
export function runCertutil(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile('certutil', args, { windowsHide: true }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, output: `${stdout}${stderr}${error && typeof error.code !== 'number' ? error.message : ''}` });
    });
  });
}
