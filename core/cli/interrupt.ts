/**
 * Ctrl+C for a command that runs until the user stops it (`berth serve`, `logs -f`, `events -f`). Windows cannot send
 * a console Ctrl+C to one child process, and kill('SIGINT') there is TerminateProcess (no clean stop): a parent that
 * started the command with an IPC channel (the tests, a supervisor) sends `{ berth: 'interrupt' }` instead, which is
 * handled as the signal is. The channel does not keep the command alive on its own.
 */
export function onInterrupt(handler: () => void, signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): () => void {
  for (const signal of signals) process.on(signal, handler);
  const onMessage = (message: { berth?: string } | null) => {
    if (message?.berth === 'interrupt') handler();
  };
  if (process.channel) {
    process.on('message', onMessage);
    process.channel.unref();
  }
  return () => {
    for (const signal of signals) process.off(signal, handler);
    process.off('message', onMessage);
  };
}
