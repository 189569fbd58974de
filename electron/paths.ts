/**
 * Where the desktop app's files are, from the app's root (the repository in development, app.asar when installed).
 * The worker bootstrap is the exception: it lives unpacked next to the asar (see core/worker/asar.ts), since a
 * system node cannot read inside an asar.
 */
import path from 'node:path';

export interface AppPaths {
  renderer: string;
  preload: string;
  engineEntry: string;
  assets: string;
  windowIcon: string;
}

export function appPaths(appRoot: string): AppPaths {
  const assets = path.join(appRoot, 'electron', 'assets');
  return {
    renderer: path.join(appRoot, 'dist', 'renderer'),
    preload: path.join(appRoot, 'dist', 'electron', 'preload.cjs'),
    engineEntry: path.join(appRoot, 'dist', 'electron', 'engine-entry.js'),
    assets,
    windowIcon: path.join(assets, 'icon.png'),
  };
}

/** Berth's Windows identity: taskbar grouping, notifications, and the installer's app id. */
export const APP_ID = 'dev.berth.desktop';
export const PRODUCT_NAME = 'Berth';
