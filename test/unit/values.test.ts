import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { INFINITE, SETTINGS, type EnumSetting, type SettingDef, type StringSetting, type UintSetting } from '../../core/config/schema.js';
import { closest, coerce, describeExpected, editDistance, expandPercentVars, type Coerced } from '../../core/config/values.js';

function ok(result: Coerced): number | boolean | string {
  assert.equal(result.ok, true, `expected success, got ${JSON.stringify(result)}`);
  if (!result.ok) throw new Error('unreachable');
  return result.value;
}

function problem(result: Coerced): { problem: string; expected: string } {
  assert.equal(result.ok, false, `expected a failure, got ${JSON.stringify(result)}`);
  if (result.ok) throw new Error('unreachable');
  return { problem: result.problem, expected: result.expected };
}

const plainUint: UintSetting = { kind: 'uint', default: 5, description: 'test', support: 'honoured' };
const ranged: UintSetting = { kind: 'uint', default: 5, min: 2, max: 10, unit: 'ms', description: 'test', support: 'honoured' };
const infinite: UintSetting = { kind: 'uint', default: 5, min: 1, max: 100, allowInfinite: true, description: 'test', support: 'honoured' };
const boolDef: SettingDef = SETTINGS.loggingEnabled;
const colours: EnumSetting = { kind: 'enum', default: 'RoundRobin', values: ['RoundRobin', 'LeastBusy'], description: 'test', support: 'honoured' };

describe('coerce: uint', () => {
  test('accepts numbers and digit strings (with surrounding spaces)', () => {
    assert.equal(ok(coerce(plainUint, 0)), 0);
    assert.equal(ok(coerce(plainUint, 42)), 42);
    assert.equal(ok(coerce(plainUint, '42')), 42);
    assert.equal(ok(coerce(plainUint, '  7 ')), 7);
    assert.equal(ok(coerce(plainUint, '007')), 7);
    assert.equal(ok(coerce(plainUint, INFINITE)), INFINITE);
  });

  test('the returned value is a number, not the string', () => {
    assert.equal(typeof ok(coerce(plainUint, '12')), 'number');
  });

  test('"infinite" is accepted only where allowInfinite, in any case', () => {
    assert.equal(ok(coerce(infinite, 'infinite')), INFINITE);
    assert.equal(ok(coerce(infinite, ' INFINITE ')), INFINITE);
    assert.equal(ok(coerce(infinite, 'Infinite')), INFINITE);
    assert.equal(problem(coerce(plainUint, 'infinite')).problem, 'is not a whole number');
    assert.equal(problem(coerce(ranged, 'infinite')).problem, 'is not a whole number');
  });

  test('the number INFINITE passes the max only where allowInfinite', () => {
    assert.equal(ok(coerce(infinite, INFINITE)), INFINITE);
    assert.equal(problem(coerce(infinite, 101)).problem, 'is above 100');
    assert.equal(problem(coerce(ranged, INFINITE)).problem, 'is above 10');
  });

  test('negative values are refused as negative', () => {
    assert.equal(problem(coerce(plainUint, -1)).problem, 'is negative');
    assert.equal(problem(coerce(plainUint, '-1')).problem, 'is negative');
    assert.equal(problem(coerce(plainUint, ' -20')).problem, 'is negative');
  });

  test('fractions are refused', () => {
    assert.equal(problem(coerce(plainUint, 1.5)).problem, 'is not a whole number');
    assert.equal(problem(coerce(plainUint, '1.5')).problem, 'is not a whole number');
    assert.equal(problem(coerce(plainUint, Number.NaN)).problem, 'is not a whole number');
  });

  test('garbage is an error, never 0 (unlike iisnode\'s atol)', () => {
    for (const garbage of ['ten', '', ' ', '12abc', 'abc12', '0x10', '1e3', '1 000', '+5', true, null, undefined, {}, [3]]) {
      const result = coerce(plainUint, garbage);
      assert.equal(result.ok, false, `${JSON.stringify(garbage)} must not be accepted`);
      if (!result.ok) assert.equal(result.problem, 'is not a whole number', JSON.stringify(garbage));
    }
  });

  test('values above the DWORD range are too large', () => {
    assert.equal(problem(coerce(plainUint, INFINITE + 1)).problem, 'is too large');
    assert.equal(problem(coerce(plainUint, '99999999999999999999')).problem, 'is too large');
  });

  test('min and max are enforced inclusively', () => {
    assert.equal(problem(coerce(ranged, 1)).problem, 'is below 2');
    assert.equal(ok(coerce(ranged, 2)), 2);
    assert.equal(ok(coerce(ranged, '10')), 10);
    assert.equal(problem(coerce(ranged, 11)).problem, 'is above 10');
    assert.equal(problem(coerce(infinite, '0')).problem, 'is below 1');
  });

  test('schema ranges: nodeProcessCountPerApplication 0..256, maxConcurrentRequestsPerProcess ≥ 1 or infinite', () => {
    assert.equal(ok(coerce(SETTINGS.nodeProcessCountPerApplication, 0)), 0);
    assert.equal(ok(coerce(SETTINGS.nodeProcessCountPerApplication, '256')), 256);
    assert.equal(problem(coerce(SETTINGS.nodeProcessCountPerApplication, 257)).problem, 'is above 256');
    assert.equal(problem(coerce(SETTINGS.maxConcurrentRequestsPerProcess, 0)).problem, 'is below 1');
    assert.equal(ok(coerce(SETTINGS.maxConcurrentRequestsPerProcess, 'infinite')), INFINITE);
    assert.equal(problem(coerce(SETTINGS.maxRequestBufferSize, 1023)).problem, 'is below 1024');
  });

  test('failures describe the expected value', () => {
    assert.equal(problem(coerce(ranged, 'x')).expected, 'a whole number from 2 to 10 (ms)');
    assert.equal(problem(coerce(plainUint, 'x')).expected, 'a whole number of at least 0');
    assert.equal(problem(coerce(infinite, 'x')).expected, 'a whole number from 1 to 100, or infinite');
    assert.equal(describeExpected(SETTINGS.nodeProcessCountPerApplication), 'a whole number from 0 to 256');
    assert.equal(describeExpected(SETTINGS.gracefulShutdownTimeout), 'a whole number of at least 0 (ms)');
  });
});

describe('coerce: bool', () => {
  test('booleans and the numbers 1 and 0', () => {
    assert.equal(ok(coerce(boolDef, true)), true);
    assert.equal(ok(coerce(boolDef, false)), false);
    assert.equal(ok(coerce(boolDef, 1)), true);
    assert.equal(ok(coerce(boolDef, 0)), false);
  });

  test('true/false/1/0/yes/no/on/off words in any case, trimmed', () => {
    const cases: Array<[string, boolean]> = [
      ['true', true], ['TRUE', true], ['True', true], ['1', true], ['yes', true], ['YES', true], ['on', true], ['On', true], [' true ', true],
      ['false', false], ['FALSE', false], ['False', false], ['0', false], ['no', false], ['No', false], ['off', false], ['OFF', false], ['\tfalse', false],
    ];
    for (const [raw, expected] of cases) assert.equal(ok(coerce(boolDef, raw)), expected, JSON.stringify(raw));
  });

  test('garbage is an error naming true or false', () => {
    for (const garbage of ['foobar', '', 'y', 'n', 'truee', '2', 2, -1, null, undefined, [true]]) {
      const failure = problem(coerce(boolDef, garbage));
      assert.equal(failure.problem, 'is not true or false', JSON.stringify(garbage));
      assert.equal(failure.expected, 'true or false');
    }
  });
});

describe('coerce: enum', () => {
  test('matches case-insensitively and returns the canonical spelling', () => {
    assert.equal(ok(coerce(colours, 'roundrobin')), 'RoundRobin');
    assert.equal(ok(coerce(colours, ' LEASTBUSY ')), 'LeastBusy');
    assert.equal(ok(coerce(colours, 'LeastBusy')), 'LeastBusy');
  });

  test('refuses other values and lists the allowed ones', () => {
    const failure = problem(coerce(colours, 'random'));
    assert.equal(failure.problem, 'is not an allowed value');
    assert.equal(failure.expected, 'one of RoundRobin, LeastBusy');
    assert.equal(coerce(colours, 1).ok, false);
    assert.equal(coerce(colours, '').ok, false);
  });
});

describe('coerce: string', () => {
  const plain: StringSetting = { kind: 'string', default: '', description: 'test', support: 'honoured' };

  test('strings stay as written; numbers and booleans become text', () => {
    assert.equal(ok(coerce(plain, ' spaced ')), ' spaced ');
    assert.equal(ok(coerce(plain, 5058)), '5058');
    assert.equal(ok(coerce(plain, true)), 'true');
    assert.equal(ok(coerce(plain, '')), '');
  });

  test('lists, maps and null are not text', () => {
    for (const raw of [null, undefined, ['a'], { a: 1 }]) {
      const failure = problem(coerce(plain, raw));
      assert.equal(failure.problem, 'is not a text value');
      assert.equal(failure.expected, 'a text value');
    }
  });

  test('check() runs on non-empty values and its problem is reported with `expected`', () => {
    const ports = SETTINGS.debuggerPortRange;
    assert.equal(ok(coerce(ports, '9000-9100')), '9000-9100');
    assert.equal(ok(coerce(ports, 9229)), '9229');
    const failure = problem(coerce(ports, '80-90'));
    assert.equal(failure.problem, 'starts below 1025');
    assert.equal(failure.expected, 'a port range such as 5058-6058, from 1025 to 65535');
    assert.equal(problem(coerce(ports, 'lots')).problem, 'is not a port or a port range');
  });

  test('check() is skipped for the empty value', () => {
    let called = 0;
    const checked: StringSetting = { ...plain, check: () => (called++, 'always bad') };
    assert.equal(ok(coerce(checked, '')), '');
    assert.equal(called, 0);
    assert.equal(problem(coerce(checked, 'x')).problem, 'always bad');
    assert.equal(called, 1);
  });

  test('hostname check refuses labels that are not DNS labels', () => {
    assert.equal(ok(coerce(SETTINGS.hostname, 'shop')), 'shop');
    assert.equal(ok(coerce(SETTINGS.hostname, 'Shop.Localhost')), 'Shop.Localhost');
    assert.equal(problem(coerce(SETTINGS.hostname, 'my_shop')).problem, 'has an invalid DNS label "my_shop"');
    assert.equal(problem(coerce(SETTINGS.hostname, 'shop..localhost')).problem, 'has an invalid DNS label ""');
    assert.equal(problem(coerce(SETTINGS.hostname, '-shop')).problem, 'has an invalid DNS label "-shop"');
  });

  test('entry check refuses NUL characters', () => {
    assert.equal(ok(coerce(SETTINGS.entry, 'src/server.js')), 'src/server.js');
    assert.equal(problem(coerce(SETTINGS.entry, 'a\0b')).problem, 'contains a NUL character');
  });
});

describe('expandPercentVars', () => {
  test('expands known names', () => {
    assert.equal(expandPercentVars('%ROOT%\\logs', { ROOT: 'D:\\sites' }), 'D:\\sites\\logs');
    assert.equal(expandPercentVars('%A%-%B%', { A: '1', B: '2' }), '1-2');
    assert.equal(expandPercentVars('%A%%B%', { A: '1', B: '2' }), '12');
  });

  test('matches names case-insensitively, as Windows does', () => {
    assert.equal(expandPercentVars('%programfiles%\\nodejs\\node.exe', { ProgramFiles: 'C:\\Program Files' }), 'C:\\Program Files\\nodejs\\node.exe');
    assert.equal(expandPercentVars('%NODE_ENV%', { node_env: 'staging' }), 'staging');
  });

  test('an exact-case match wins over another spelling', () => {
    assert.equal(expandPercentVars('%Foo%', { FOO: 'upper', Foo: 'exact' }), 'exact');
  });

  test('unknown names stay as written', () => {
    assert.equal(expandPercentVars('%node_env%', {}), '%node_env%');
    assert.equal(expandPercentVars('%NOPE%/x/%HOME%', { HOME: '/h' }), '%NOPE%/x//h');
  });

  test('text without a %NAME% pair is unchanged', () => {
    assert.equal(expandPercentVars('100%', { '': 'x' }), '100%');
    assert.equal(expandPercentVars('50% off %', { OFF: 'x' }), '50% off %');
    assert.equal(expandPercentVars('plain', { plain: 'x' }), 'plain');
    assert.equal(expandPercentVars('%%', {}), '%%');
  });

  test('an expanded value is not expanded again', () => {
    assert.equal(expandPercentVars('%A%', { A: '%B%', B: 'nested' }), '%B%');
  });
});

describe('editDistance and closest', () => {
  test('edit distance is the Levenshtein distance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('abc', ''), 3);
    assert.equal(editDistance('same', 'same'), 0);
    assert.equal(editDistance('flaw', 'lawn'), 2);
    assert.equal(editDistance('ab', 'ba'), 2);
  });

  test('edit distance is symmetric', () => {
    for (const [a, b] of [['loggingenabled', 'logingenabled'], ['abc', 'xyzabc'], ['node', 'nodejs']] as const) {
      assert.equal(editDistance(a, b), editDistance(b, a));
    }
  });

  test('closest finds a likely typo, case-insensitively, and returns the candidate as given', () => {
    const names = ['nodeProcessCountPerApplication', 'loggingEnabled', 'logDirectory'];
    assert.equal(closest('nodeProcessCountPerAplication', names), 'nodeProcessCountPerApplication');
    assert.equal(closest('LOGGINGENABLD', names), 'loggingEnabled');
    assert.equal(closest('logDirectroy', names), 'logDirectory');
  });

  test('closest allows at least 2 edits, or a quarter of the length', () => {
    assert.equal(closest('abcx', ['abyz']), 'abyz'); // 2 edits in a short word
    assert.equal(closest('abxyz', ['ab']), undefined); // 3 edits, 5 letters
    const long = 'abcdefghijklmnop'; // 16 letters: 4 edits allowed
    assert.equal(closest('abcdefghijklWXYZ', [long]), long);
    assert.equal(closest('abcdefghijkVWXYZ', [long]), undefined);
  });

  test('closest returns undefined for unrelated words and no candidates', () => {
    assert.equal(closest('foo', ['nodeProcessCountPerApplication', 'loggingEnabled']), undefined);
    assert.equal(closest('anything', []), undefined);
  });
});
