/**
 * One Berth per user: a second launch hands its command line to the first (which shows its window and adds the
 * folders it was given) and quits.
 */
export interface InstanceApp {
  requestSingleInstanceLock(): boolean;
  on(event: 'second-instance', listener: (event: unknown, argv: string[], workingDirectory: string) => void): unknown;
  quit(): void;
}

/** Takes the lock; false means another instance has it and this one is quitting. */
export function claimSingleInstance(app: InstanceApp, onSecondLaunch: (argv: string[], cwd: string) => void): boolean {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return false;
  }
  app.on('second-instance', (_event, argv, cwd) => onSecondLaunch(argv, cwd));
  return true;
}
