import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { Hookbase, HookbaseApiError, HookbaseError } from '@hookbase/sdk';

/** Exit codes a script can rely on: 0 done, 1 the call failed, 2 the command line was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A failure the user should read (an API error, a server that does not answer): exit 1, or 2 for usage. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    /** What `--json` prints for it (an API error body, with the HTTP status). */
    readonly json: unknown = { error: { code: 'failed', message } },
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export type ClientOptions = { url?: string; apiKey?: string; json?: boolean };

/** The options every client command takes: where the server is, the key, and machine-readable output. */
export const withClientOptions = (command: Command): Command =>
  command
    .option('--url <url>', 'server address (default: HOOKBASE_URL, then http://127.0.0.1:8080)')
    .option('--api-key <key>', 'admin API key (default: HOOKBASE_API_KEY, then .hookbase/api-key)')
    .option('--json', 'print machine-readable JSON');

export type Client = Readonly<{
  url: string;
  json: boolean;
  sdk: Hookbase;
  /** Plain HTTP for the admin routes the SDK does not have; throws CliError on any answer but 2xx. */
  call: (method: string, path: string, body?: unknown) => Promise<unknown>;
  /** The raw response, for streams (audit export); still CliError on any answer but 2xx. */
  fetchRaw: (method: string, path: string) => Promise<Response>;
}>;

/** The key of a server started here with its defaults, as the first start saved it (README: Run it). */
const savedApiKey = (env: NodeJS.ProcessEnv): string | undefined => {
  const file = join(resolve(env.HOOKBASE_DATA_DIR || './.hookbase'), 'api-key');
  return existsSync(file) ? readFileSync(file, 'utf8').trim() || undefined : undefined;
};

const apiErrorOf = async (res: Response, method: string, path: string): Promise<CliError> => {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // not an API error body
  }
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error;
  const message = error?.message ? `${error.message} (${error.code ?? 'error'}, HTTP ${res.status})` : `${method} ${path} answered HTTP ${res.status}`;
  return new CliError(message, EXIT_FAILURE, { status: res.status, ...(error ? (body as object) : { error: { code: `http_${res.status}`, message } }) });
};

export const clientOf = (options: ClientOptions, env: NodeJS.ProcessEnv = process.env): Client => {
  const url = (options.url ?? (env.HOOKBASE_URL || 'http://127.0.0.1:8080')).replace(/\/+$/, '');
  const apiKey = options.apiKey ?? (env.HOOKBASE_API_KEY || savedApiKey(env));
  if (!apiKey) throw new CliError('No API key: set HOOKBASE_API_KEY or pass --api-key.', EXIT_USAGE);
  try {
    new URL(url);
  } catch {
    throw new CliError(`--url / HOOKBASE_URL is not a URL: ${url}`, EXIT_USAGE);
  }
  const fetchRaw = async (method: string, path: string, body?: unknown): Promise<Response> => {
    let res: Response;
    try {
      res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new CliError(`Cannot reach Hookbase at ${url}${cause}`);
    }
    if (!res.ok) throw await apiErrorOf(res, method, path);
    return res;
  };
  return {
    url,
    json: options.json === true,
    sdk: new Hookbase({ apiKey, baseUrl: url, retries: 1 }),
    fetchRaw: (method, path) => fetchRaw(method, path),
    call: async (method, path, body) => {
      const res = await fetchRaw(method, path, body);
      const text = await res.text();
      return text ? (JSON.parse(text) as unknown) : null;
    },
  };
};

/** SDK errors as the CLI reports them (same message and JSON shape as `call`'s). */
export const cliErrorOf = (error: unknown): CliError | null => {
  if (error instanceof CliError) return error;
  if (error instanceof HookbaseApiError) {
    return new CliError(`${error.message} (${error.code}, HTTP ${error.status})`, EXIT_FAILURE, {
      status: error.status,
      error: { code: error.code, message: error.message, details: error.details },
      ...(error.requestId ? { requestId: error.requestId } : {}),
    });
  }
  if (error instanceof HookbaseError) return new CliError(error.message);
  return null;
};

/** Parses a JSON option (`--payload '{"a":1}'`); a bad one is a usage error naming the option. */
export const jsonOption = (name: string, raw: string): unknown => {
  try {
    return JSON.parse(raw) as unknown;
  } catch (error) {
    throw new CliError(`${name} must be JSON: ${error instanceof Error ? error.message : String(error)}`, EXIT_USAGE);
  }
};

/** Human output: a table of rows (columns in the order of `columns`). */
export const table = (rows: readonly Record<string, unknown>[], columns: readonly string[]): string => {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown): string => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: readonly string[]): string => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
};

/** `--json`: the value as one JSON document; otherwise the human text. */
export const print = (client: Pick<Client, 'json'>, value: unknown, human: () => string): void => {
  process.stdout.write(client.json ? `${JSON.stringify(value)}\n` : `${human()}\n`);
};
