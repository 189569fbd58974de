/**
 * The installer's configuration, checked offline: electron-builder's own schema accepts it (and refuses a wrong key,
 * so the check itself works), it says what the issue asks (per-user NSIS, app id, icons, the bootstrap outside the
 * asar), and packing it into a folder with a stand-in Electron (electron-builder cannot download the real one here)
 * gives an app.asar with the built code and the production dependencies only.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { APP_ID, PRODUCT_NAME } from '../../electron/paths.js';
import { REPO } from '../helpers/paths.js';

const CONFIG = path.join(REPO, 'build', 'electron-builder.yml');
const requireHere = createRequire(import.meta.url);
// electron-builder's own modules (its dependencies, found from where it is installed).
const requireBuilder = createRequire(requireHere.resolve('electron-builder'));
const { validateConfiguration } = requireBuilder('app-builder-lib/out/util/config/config.js') as { validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void> };
const asar = createRequire(requireBuilder.resolve('app-builder-lib'))('@electron/asar') as { listPackage(file: string, options?: unknown): string[] };
const quietLogger = { isEnabled: false, add: () => undefined };

// The YAML's shape is what these tests check, so it is read untyped.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function config(): Promise<Record<string, any>> {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return parse(await readFile(CONFIG, 'utf8')) as Record<string, any>;
}

describe('installer configuration', () => {
  test("electron-builder's schema accepts it, and refuses a misspelt key", async () => {
    await validateConfiguration(await config(), quietLogger);
    await assert.rejects(validateConfiguration({ ...(await config()), nsis: { ...(await config()).nsis, oneclick: true } }, quietLogger), /Invalid configuration object/);
  });

  test('a per-user NSIS installer for x64 with Berth\'s id, name and icons', async () => {
    const c = await config();
    assert.equal(c.appId, APP_ID, 'the same id as the AppUserModelId the app sets');
    assert.equal(c.productName, PRODUCT_NAME);
    assert.deepEqual(c.win.target, [{ target: 'nsis', arch: ['x64'] }]);
    assert.equal(c.nsis.perMachine, false);
    assert.equal(c.nsis.oneClick, true, 'one click and per user: no administrator rights, no questions');
    assert.equal(c.nsis.deleteAppDataOnUninstall, false);
    for (const icon of [c.win.icon, c.nsis.installerIcon, c.nsis.uninstallerIcon]) {
      const bytes = await readFile(path.join(REPO, icon));
      // An ICO: reserved 0, type 1, and a 256×256 image (width byte 0) among its entries.
      assert.equal(bytes.readUInt16LE(0), 0);
      assert.equal(bytes.readUInt16LE(2), 1);
      const count = bytes.readUInt16LE(4);
      const widths = Array.from({ length: count }, (_, i) => bytes.readUInt8(6 + 16 * i));
      assert.ok(widths.includes(0) && widths.includes(16) && widths.includes(32), `sizes ${widths}`);
    }
    assert.deepEqual(c.asarUnpack, ['dist/core/worker/bootstrap.cjs', 'dist/core/worker/listen-redirect.cjs']);
  });

  test('the package.json main is the built main process, and the files it needs are listed', async () => {
    const pkg = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { main: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
    assert.equal(pkg.main, 'dist/electron/main.js');
    assert.ok(pkg.devDependencies.electron, 'electron-builder wants Electron among the devDependencies');
    for (const dev of ['vue', 'pinia', 'vite', 'vitest', 'electron']) assert.equal(pkg.dependencies[dev], undefined, `${dev} is bundled or a tool, not a runtime dependency`);
    for (const asset of ['tray-running.png', 'tray-starting.png', 'tray-failed.png', 'tray-idle.png', 'tray-running@2x.png', 'icon.png']) {
      assert.ok((await stat(path.join(REPO, 'electron', 'assets', asset))).size > 100, asset);
    }
  });

  test('packed with a stand-in Electron, the app holds the build, the bootstrap unpacked, and runtime dependencies only', { timeout: 120_000 }, async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'berth-pack-'));
    try {
      // Any x64 Windows executable with resources will do as electron.exe: electron-builder renames it and edits its
      // resources in JavaScript (no Wine). 7-Zip's, shipped inside electron-winstaller, is one.
      const stand = path.join(work, 'electron');
      await cp(path.join(path.dirname(requireBuilder.resolve('electron-winstaller/package.json')), 'vendor', '7z-x64.exe'), path.join(stand, 'electron.exe'));
      await writeFile(path.join(stand, 'version'), JSON.parse(await readFile(requireHere.resolve('electron/package.json'), 'utf8')).version);
      await writeFile(path.join(stand, 'LICENSE'), '');
      const out = path.join(work, 'out');
      const cli = path.join(path.dirname(requireHere.resolve('electron-builder/package.json')), 'cli.js');
      const log = await new Promise<string>((resolve, reject) => {
        const child = spawn(process.execPath, [cli, '--config', CONFIG, '--win', '--x64', '--dir', `-c.electronDist=${stand}`, `-c.directories.output=${out}`, '--publish', 'never'], {
          cwd: REPO,
          env: { ...process.env, ELECTRON_BUILDER_OFFLINE: 'true', CSC_IDENTITY_AUTO_DISCOVERY: 'false' },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let text = '';
        child.stdout.on('data', (d: Buffer) => (text += d));
        child.stderr.on('data', (d: Buffer) => (text += d));
        child.on('error', reject);
        child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`electron-builder exited with ${code}:\n${text}`))));
      });
      const resources = path.join(out, 'win-unpacked', 'resources');
      assert.ok((await stat(path.join(out, 'win-unpacked', 'Berth.exe'))).isFile(), log);
      const bootstrap = await readFile(path.join(resources, 'app.asar.unpacked', 'dist', 'core', 'worker', 'bootstrap.cjs'), 'utf8');
      assert.match(bootstrap, /process\.send|parentPort|ready/);
      // The bootstrap requires its sibling: it must be a real file next to it.
      assert.match(await readFile(path.join(resources, 'app.asar.unpacked', 'dist', 'core', 'worker', 'listen-redirect.cjs'), 'utf8'), /ListenRedirect/);
      const files = asar.listPackage(path.join(resources, 'app.asar'), { isPack: false }).map((f) => f.replaceAll('\\', '/'));
      for (const needed of ['/package.json', '/dist/electron/main.js', '/dist/electron/preload.cjs', '/dist/electron/engine-entry.js', '/dist/renderer/index.html', '/dist/core/engine.js', '/electron/assets/tray-running.png']) {
        assert.ok(files.includes(needed), `${needed} is packed`);
      }
      // Of the project's own files: the build only (no tests, sources or source maps).
      for (const f of files.filter((p) => !p.startsWith('/node_modules/'))) {
        assert.ok(!f.startsWith('/dist/test') && !f.startsWith('/test/') && !f.startsWith('/renderer/') && !f.endsWith('.map') && !f.endsWith('.ts'), `${f} should not be packed`);
      }
      // The node_modules are the production dependencies and what they need, per the lockfile: nothing marked dev.
      const lock = JSON.parse(await readFile(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
      // A package is node_modules/<name> or node_modules/@scope/<name>; the bare @scope folder is listed too, and skipped.
      const packed = new Set(
        files
          .filter((f) => f.startsWith('/node_modules/'))
          .map((f) => f.split('/'))
          .filter((parts) => !parts[2]!.startsWith('@') || parts.length >= 4)
          .map((parts) => parts.slice(1, parts[2]!.startsWith('@') ? 4 : 3).join('/')),
      );
      assert.ok(packed.has('node_modules/ws') && packed.has('node_modules/yaml') && packed.has('node_modules/chokidar'), [...packed].join(' '));
      for (const module of packed) {
        assert.ok(lock.packages[module], `${module} is not in the lockfile`);
        assert.equal(lock.packages[module]!.dev, undefined, `${module} is a development dependency and must not ship`);
      }
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
