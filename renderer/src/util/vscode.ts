/**
 * The VS Code `launch.json` entry that attaches to a debug worker. The engine builds the same entry for `berth debug`;
 * the UI builds it from the port when the engine's answer does not carry one.
 */
export function vscodeAttachConfig(app: string, port: number, folder?: string): Record<string, unknown> {
  return {
    type: 'node',
    request: 'attach',
    name: `Berth: ${app}`,
    address: '127.0.0.1',
    port,
    ...(folder ? { localRoot: folder, remoteRoot: folder } : {}),
    skipFiles: ['<node_internals>/**'],
  };
}
