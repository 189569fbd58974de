/**
 * Native notifications for what a developer must not miss while the window is hidden: a crash, an app that stopped
 * restarting (errored), an upgrade that failed. A crash loop gives one notification per app per minute, not one per
 * crash. Electron's Notification is injected.
 */
import type { EngineEvent } from '../core/events.js';

export interface NotificationContent {
  app: string;
  kind: 'crash' | 'errored' | 'upgrade-failed';
  title: string;
  body: string;
}

/** The notification an event deserves, if any (pure). */
export function notificationFor(event: EngineEvent): NotificationContent | undefined {
  switch (event.type) {
    case 'worker-exit': {
      if (event.expected) return undefined;
      const how = event.signal ? `signal ${event.signal}` : `exit code ${event.code}`;
      const last = event.stderr.filter((l) => l.trim()).slice(-1)[0];
      return { app: event.app, kind: 'crash', title: `${event.app} crashed`, body: `A worker ended with ${how}.${last ? ` ${last.trim().slice(0, 160)}` : ''}` };
    }
    case 'app-state':
      if (event.state !== 'errored') return undefined;
      return { app: event.app, kind: 'errored', title: `${event.app} stopped restarting`, body: event.problem ?? 'It kept crashing. Fix it, then start it again from Berth.' };
    case 'recycle-failed':
      return {
        app: event.app,
        kind: 'upgrade-failed',
        title: `${event.app}: upgrade failed`,
        body: `${event.title}${event.stillServing !== null ? ' The previous version keeps serving.' : ''}`,
      };
    default:
      return undefined;
  }
}

export interface NotifierDeps {
  show(content: NotificationContent, onClick: () => void): void;
  enabled(): boolean;
  onClick(app: string): void;
  now?: () => number;
  /** One notification per app and kind within this time (default 60 s). */
  quietMs?: number;
}

export class Notifier {
  private readonly last = new Map<string, number>();

  constructor(private readonly deps: NotifierDeps) {}

  handle(event: EngineEvent): boolean {
    if (!this.deps.enabled()) return false;
    const content = notificationFor(event);
    if (!content) return false;
    const now = this.deps.now?.() ?? Date.now();
    const key = `${content.app}\u0000${content.kind}`;
    const previous = this.last.get(key);
    // "errored" always gets through: it is the end of a crash loop whose crashes were quieted.
    if (content.kind !== 'errored' && previous !== undefined && now - previous < (this.deps.quietMs ?? 60_000)) return false;
    this.last.set(key, now);
    this.deps.show(content, () => this.deps.onClick(content.app));
    return true;
  }
}
