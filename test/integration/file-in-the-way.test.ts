/**
 * Error hints keyed on what is true of the path, not on one platform's errno: a file where a folder should be is
 * ENOTDIR on Linux and ENOENT on Windows, and both must show the "a part of the path is a file" hint.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { describeLogProblem } from '../../core/logs/capture.js';
import { classifyFolderError, fileInTheWay } from '../../core/util/file-in-the-way.js';
import { tempDir } from '../helpers/paths.js';

test('a file in the way of a folder is found and reported as ENOTDIR, whatever errno the platform gave', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const blocker = path.join(dir, 'file');
    await writeFile(blocker, '');
    const target = path.join(blocker, 'logs', 'deeper');
    assert.equal(await fileInTheWay(target), blocker);
    assert.equal(await fileInTheWay(path.join(dir, 'missing', 'logs')), undefined);
    // The real error of this platform, then the classified one.
    const error = await mkdir(target, { recursive: true }).then(
      () => assert.fail('mkdir under a file succeeded'),
      (e: NodeJS.ErrnoException) => e,
    );
    const classified = await classifyFolderError(error, target);
    assert.equal(classified.code, 'ENOTDIR', `${error.code} under a file`);
    assert.match(describeLogProblem({ path: target, code: classified.code!, operation: 'open' }, target, 1024, 1000), /a part of the path is a file, not a folder/);
  } finally {
    await cleanup();
  }
});

test('a folder that is simply missing keeps its own error (the other hint)', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const target = path.join(dir, 'missing', 'logs');
    const error = Object.assign(new Error('no such folder'), { code: 'ENOENT' });
    assert.equal((await classifyFolderError(error, target)).code, 'ENOENT');
  } finally {
    await cleanup();
  }
});
