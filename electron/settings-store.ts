/**
 * The desktop app's own settings and the window's last position, in `desktop.json` in Electron's userData folder.
 * Read with defaults for anything missing or malformed (a broken file never stops the app), written atomically.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../core/registry/atomic-write.js';
import type { DesktopSettings } from '../core/shared/bridge.js';
import type { WindowState } from './window-state.js';

export interface StoredState {
  settings: DesktopSettings;
  window?: WindowState;
}

export const DEFAULT_SETTINGS: DesktopSettings = {
  closeToTray: true,
  startAtLogin: false,
  frontPort: 8080,
  nodePath: '',
  notifications: true,
};

/** Settings from untrusted input (the file, or the renderer's patch): known keys of the right type only. */
export function normalizeSettings(raw: unknown, base: DesktopSettings = DEFAULT_SETTINGS): DesktopSettings {
  const out = { ...base };
  if (!raw || typeof raw !== 'object') return out;
  const r = raw as Record<string, unknown>;
  for (const key of ['closeToTray', 'startAtLogin', 'notifications'] as const) if (typeof r[key] === 'boolean') out[key] = r[key];
  if (typeof r.frontPort === 'number' && Number.isInteger(r.frontPort) && r.frontPort >= 1 && r.frontPort <= 65535) out.frontPort = r.frontPort;
  if (typeof r.nodePath === 'string' && r.nodePath.length < 4096) out.nodePath = r.nodePath;
  return out;
}

/** Refuses a patch with a value of the wrong kind (the form checks first; this guards the IPC boundary). */
export function validatePatch(patch: unknown): Partial<DesktopSettings> {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) throw new Error('Settings must be an object.');
  const out: Partial<DesktopSettings> = {};
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'closeToTray':
      case 'startAtLogin':
      case 'notifications':
        if (typeof value !== 'boolean') throw new Error(`${key} must be true or false.`);
        out[key] = value;
        break;
      case 'frontPort':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) throw new Error('The front port must be a whole number from 1 to 65535.');
        out.frontPort = value;
        break;
      case 'nodePath':
        if (typeof value !== 'string' || value.length > 4096) throw new Error('The Node.js command must be text.');
        out.nodePath = value.trim();
        break;
      default:
        throw new Error(`"${key}" is not a desktop setting.`);
    }
  }
  return out;
}

export class SettingsStore {
  state: StoredState = { settings: { ...DEFAULT_SETTINGS } };
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string) {}

  static inFolder(userData: string): SettingsStore {
    return new SettingsStore(path.join(userData, 'desktop.json'));
  }

  async load(): Promise<StoredState> {
    try {
      const raw = JSON.parse(await readFile(this.file, 'utf8')) as { settings?: unknown; window?: WindowState };
      this.state = { settings: normalizeSettings(raw.settings), ...(raw.window && typeof raw.window === 'object' ? { window: raw.window } : {}) };
    } catch {
      // Missing or unreadable: the defaults (the file is rewritten on the next change).
      this.state = { settings: { ...DEFAULT_SETTINGS } };
    }
    return this.state;
  }

  get settings(): DesktopSettings {
    return this.state.settings;
  }

  async update(patch: Partial<DesktopSettings>): Promise<DesktopSettings> {
    this.state = { ...this.state, settings: normalizeSettings({ ...this.state.settings, ...patch }) };
    await this.save();
    return this.state.settings;
  }

  async saveWindow(window: WindowState): Promise<void> {
    this.state = { ...this.state, window };
    await this.save();
  }

  /** Writes one at a time, in order. */
  private save(): Promise<void> {
    const text = `${JSON.stringify(this.state, null, 2)}\n`;
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(path.dirname(this.file), { recursive: true });
        await writeFileAtomic(this.file, text);
      });
    return this.writing;
  }
}
