/**
 * Runtime checks of every call's parameters, typed against protocol.ts: the compiler makes sure each method has a
 * check and that what a check accepts is what the method's type says. A bad parameter is named in the error.
 */
import type { DebugMode, LogStream, Method, Params } from './protocol.js';
import { MAX_LOG_LINES } from './limits.js';

export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
    this.name = 'ParamError';
  }
}

type Check<T> = (value: unknown, name: string) => T;
type Shape = Record<string, Check<unknown>>;
type Optional<T> = Check<T | undefined> & { optional: true };
type Out<S extends Shape> = { [K in keyof S as S[K] extends Optional<unknown> ? never : K]: ReturnType<S[K]> } & {
  [K in keyof S as S[K] extends Optional<unknown> ? K : never]?: Exclude<ReturnType<S[K]>, undefined>;
};

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the text ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const text =
  (options: { max?: number; allowEmpty?: boolean } = {}): Check<string> =>
  (value, name) => {
    if (typeof value !== 'string') throw new ParamError(name, `"${name}" must be text, not ${describe(value)}.`);
    if (!options.allowEmpty && value.trim() === '') throw new ParamError(name, `"${name}" must not be empty.`);
    if (value.length > (options.max ?? 4096)) throw new ParamError(name, `"${name}" is too long (at most ${options.max ?? 4096} characters).`);
    return value;
  };

const wholeNumber =
  (min: number, max: number): Check<number> =>
  (value, name) => {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new ParamError(name, `"${name}" must be a whole number, not ${describe(value)}.`);
    if (value < min || value > max) throw new ParamError(name, `"${name}" must be from ${min} to ${max}, not ${value}.`);
    return value;
  };

const boolean: Check<boolean> = (value, name) => {
  if (typeof value !== 'boolean') throw new ParamError(name, `"${name}" must be true or false, not ${describe(value)}.`);
  return value;
};

const streams: Check<LogStream[]> = (value, name) => {
  if (!Array.isArray(value) || value.length === 0 || value.some((s) => s !== 'stdout' && s !== 'stderr')) {
    throw new ParamError(name, `"${name}" must be a list of "stdout" and/or "stderr", not ${describe(value)}.`);
  }
  return [...new Set(value as LogStream[])];
};

const settingsPatch: Check<Record<string, string | number | boolean | null>> = (value, name) => {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new ParamError(name, `"${name}" must be an object of setting: value, not ${describe(value)}.`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (!entries.length) throw new ParamError(name, `"${name}" names no setting.`);
  for (const [key, v] of entries) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new ParamError(`${name}.${key}`, `"${name}.${key}" must be text, a number, true/false, or null (to remove it), not ${describe(v)}.`);
    }
  }
  return value as Record<string, string | number | boolean | null>;
};

const envPatch: Check<Record<string, string | number | boolean | null>> = (value, name) => {
  const patch = settingsPatch(value, name);
  if (Object.keys(patch).length > MAX_ENV_PATCH) throw new ParamError(name, `"${name}" names more than ${MAX_ENV_PATCH} variables.`);
  return patch;
};

/** Variables one config.set may change. */
const MAX_ENV_PATCH = 500;

function optional<T>(check: Check<T>): Optional<T> {
  const wrapped = ((value: unknown, name: string) => (value === undefined ? undefined : check(value, name))) as Optional<T>;
  wrapped.optional = true;
  return wrapped;
}

/** An object with exactly these keys (unknown keys are refused: a typo must not be ignored silently). */
function object<S extends Shape>(shape: S): Check<Out<S>> {
  return (value, name) => {
    const input = value === undefined ? {} : value;
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw new ParamError(name, `"${name}" must be an object, not ${describe(value)}.`);
    const record = input as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (!(key in shape)) {
        const known = Object.keys(shape);
        throw new ParamError(key, `Unknown parameter "${key}"${known.length ? ` (this call takes ${known.map((k) => `"${k}"`).join(', ')})` : ' (this call takes none)'}.`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      if (record[key] === undefined && !(check as Partial<Optional<unknown>>).optional) throw new ParamError(key, `"${key}" is required.`);
      const v = check(record[key], key);
      if (v !== undefined) out[key] = v;
    }
    return out as Out<S>;
  };
}

const app = text({ max: 63 });
const none = object({});
const debugMode: Check<DebugMode> = (value, name) => {
  if (value !== 'exclusive' && value !== 'cookie') throw new ParamError(name, `"${name}" must be "exclusive" or "cookie", not ${describe(value)}.`);
  return value;
};
const debug = object({
  app,
  break: optional(boolean),
  mode: optional(debugMode),
  worker: optional(wholeNumber(1, 2 ** 31)),
  seconds: optional(wholeNumber(1, 600)),
});

/** The check for each method's parameters. */
export const PARAMS: { [M in Method]: Check<Params<M>> } = {
  'engine.info': none,
  'apps.list': none,
  'apps.get': object({ app }),
  'apps.add': object({ folder: text(), name: optional(text({ max: 63 })), start: optional(boolean) }),
  'apps.remove': object({ app }),
  'apps.enable': object({ app }),
  'apps.disable': object({ app }),
  'apps.start': object({ app }),
  'apps.stop': object({ app }),
  'apps.restart': object({ app }),
  'apps.recycle': object({ app, reason: optional(text({ max: 200 })) }),
  'config.get': object({ app }),
  'config.set': (value, name) => {
    const params = object({ app, settings: optional(settingsPatch), env: optional(envPatch) })(value, name);
    if (!params.settings && !params.env) throw new ParamError('settings', 'config.set needs "settings" or "env" (or both) naming at least one change.');
    return params;
  },
  'logs.get': object({ app, lines: optional(wholeNumber(0, MAX_LOG_LINES)), streams: optional(streams) }),
  'metrics.get': object({ app: optional(app) }),
  'metrics.history': object({ app, seconds: optional(wholeNumber(1, 600)) }),
  'events.history': object({ app, limit: optional(wholeNumber(1, 1000)) }),
  'events.subscribe': object({ app: optional(app) }),
  'logs.subscribe': object({ app, lines: optional(wholeNumber(0, MAX_LOG_LINES)), streams: optional(streams) }),
  'metrics.subscribe': object({ app: optional(app) }),
  unsubscribe: object({ subscription: text({ max: 64 }) }),
  'debug.start': debug,
  'debug.stop': debug,
  'debug.info': debug,
  'debug.heapSnapshot': debug,
  'debug.cpuProfile': debug,
  'https.status': none,
  'https.trust': none,
};

export const METHODS = Object.keys(PARAMS) as Method[];

export function isMethod(name: string): name is Method {
  return Object.prototype.hasOwnProperty.call(PARAMS, name);
}

export function checkParams<M extends Method>(method: M, params: unknown): Params<M> {
  return PARAMS[method](params, 'params');
}
