/**
 * `npm run icons`: draws Berth's icons from one SVG (the mark in renderer/public/logo.svg) with Chromium and writes
 * them as committed files, so packaging needs no drawing tools:
 *
 * - build/icons/icon.ico (16–256 px, PNG-compressed entries) and icon.png (512 px): the installer and the exe;
 * - electron/assets/icon.png (256 px): the window and notifications;
 * - electron/assets/tray-<state>.png and @2x: the tray icon per overall state (a coloured dot in the corner).
 *
 * Needs Chromium (CHROME_PATH or /usr/bin/chromium); run it again after changing the mark.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { REPO } from '../helpers/paths.js';
import { chromiumPath, CHROMIUM_ARGS } from '../helpers/browser.js';

const MARK = await readFile(path.join(REPO, 'renderer', 'public', 'logo.svg'), 'utf8');
const DOTS: Record<string, string | null> = { running: '#16a34a', starting: '#f59e0b', failed: '#dc2626', idle: null };

/** The mark, plus a status dot with a ring that separates it from the mark (and from any taskbar colour). */
function traySvg(color: string | null): string {
  const inner = MARK.replace(/^<svg[^>]*>/, '').replace(/<\/svg>\s*$/, '');
  const dot = color ? `<circle cx="50" cy="50" r="14" fill="#ffffff"/><circle cx="50" cy="50" r="10.5" fill="${color}"/>` : '';
  const idle = color ? '' : ' opacity="0.55"';
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><g${idle}>${inner}</g>${dot}</svg>`;
}

/** An ICO holding PNG images (Windows Vista and later read these). */
function ico(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    header.writeUInt8(size >= 256 ? 0 : size, e);
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt8(0, e + 2);
    header.writeUInt8(0, e + 3);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(png.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.png)]);
}

const browser = await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  async function render(svg: string, size: number): Promise<Buffer> {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`);
    return page.screenshot({ omitBackground: true, clip: { x: 0, y: 0, width: size, height: size } });
  }
  await mkdir(path.join(REPO, 'build', 'icons'), { recursive: true });
  await mkdir(path.join(REPO, 'electron', 'assets'), { recursive: true });
  const sizes = [16, 24, 32, 48, 64, 128, 256];
  const images = [];
  for (const size of sizes) images.push({ size, png: await render(MARK, size) });
  await writeFile(path.join(REPO, 'build', 'icons', 'icon.ico'), ico(images));
  await writeFile(path.join(REPO, 'build', 'icons', 'icon.png'), await render(MARK, 512));
  await writeFile(path.join(REPO, 'electron', 'assets', 'icon.png'), await render(MARK, 256));
  for (const [state, color] of Object.entries(DOTS)) {
    await writeFile(path.join(REPO, 'electron', 'assets', `tray-${state}.png`), await render(traySvg(color), 16));
    await writeFile(path.join(REPO, 'electron', 'assets', `tray-${state}@2x.png`), await render(traySvg(color), 32));
  }
  process.stdout.write('Icons written to build/icons and electron/assets.\n');
} finally {
  await browser.close();
}
