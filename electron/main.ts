/**
 * The desktop app's entry (package.json "main"): the only module that imports Electron itself. Everything else gets
 * Electron passed in, so it can be tested without the Electron binary.
 */
import electron from 'electron';
import { runDesktop } from './desktop.js';

runDesktop(electron);
