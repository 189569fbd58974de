/**
 * The desktop bridge (`window.berth`, from the preload) when the renderer runs in the desktop app; undefined in a
 * plain browser, where every caller offers the browser's way instead (a link, a typed path, copying).
 */
import type { BerthBridge } from '../../../core/shared/bridge.js';

declare global {
  interface Window {
    readonly berth?: BerthBridge;
  }
}

export function desktopBridge(): BerthBridge | undefined {
  return typeof window === 'undefined' ? undefined : window.berth;
}
