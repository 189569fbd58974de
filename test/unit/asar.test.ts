import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outsideAsar } from '../../core/worker/asar.js';

test('the worker bootstrap is read from app.asar.unpacked, since a system node cannot read inside an asar', () => {
  assert.equal(
    outsideAsar('C:\\Users\\me\\AppData\\Local\\Programs\\Berth\\resources\\app.asar\\dist\\core\\worker\\bootstrap.cjs'),
    'C:\\Users\\me\\AppData\\Local\\Programs\\Berth\\resources\\app.asar.unpacked\\dist\\core\\worker\\bootstrap.cjs',
  );
  assert.equal(outsideAsar('/opt/Berth/resources/app.asar/dist/core/worker/bootstrap.cjs'), '/opt/Berth/resources/app.asar.unpacked/dist/core/worker/bootstrap.cjs');
  assert.equal(outsideAsar('/work/main/dist/core/worker/bootstrap.cjs'), '/work/main/dist/core/worker/bootstrap.cjs', 'outside an asar: unchanged');
  assert.equal(outsideAsar('/work/app.asarx/bootstrap.cjs'), '/work/app.asarx/bootstrap.cjs');
});
