import { createWriteStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { clientOf, CliError, EXIT_FAILURE, EXIT_USAGE, print, table, withClientOptions } from './context';
import type { ClientOptions } from './context';
import { progressReporter } from './progress';
import type { DeliveryFeedEntry } from '../../api/routes/deliveries';
import type { LogVerification } from '../../store/chain/verifyLog';

type Opts<T> = ClientOptions & T;

/** GET /v1/admin/deliveries, one entry: the route's own type. */
type Delivery = DeliveryFeedEntry;

type RebuildJob = {
  jobId: string;
  names: string[];
  state: 'running' | 'swapping' | 'done' | 'failed';
  position: string | null;
  headPosition: string | null;
  processedEvents: number;
  eventsPerSecond: number;
  etaSeconds: number | null;
  error: string | null;
};

const COLOURS = { success: '\x1b[32m', failed: '\x1b[33m', exhausted: '\x1b[31m' } as const;

const deliveryLine = (d: Delivery, colour: boolean): string => {
  const mark = { success: '✓', failed: '✗', exhausted: '✗✗' }[d.status];
  const status = `${mark} ${d.status}`.padEnd(12);
  const line = `${d.at}  ${colour ? `${COLOURS[d.status]}${status}\x1b[0m` : status} ${String(d.responseStatus ?? '---').padEnd(4)} ${`${d.latencyMs}ms`.padStart(7)}  ${d.eventType ?? '?'}  ${d.messageId} → ${d.endpointId}  attempt ${d.attemptNumber}  @${d.position}`;
  return d.error ? `${line}  ${d.error}` : line;
};

const count = (name: string) => (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of 1 or more (got "${raw}").`);
  return n;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const addTailCommand = (program: Command): void => {
  withClientOptions(
    program
      .command('tail')
      .description('show delivery attempts as they happen (green delivered, yellow failed, red exhausted on a terminal); Ctrl-C stops')
      .option('--app <appId>', "only this application's (id or uid)")
      .option('--from-start', 'from the first attempt ever, not from now')
      .option('--count <n>', 'stop after n attempts', count('--count')),
  ).action(async (opts: Opts<{ app?: string; fromStart?: boolean; count?: number }>) => {
    const client = clientOf(opts);
    const appId = opts.app ? (await client.sdk.applications.get(opts.app)).id : null;
    const colour = process.stdout.isTTY === true && !process.env.NO_COLOR && !client.json;
    let after = '';
    if (!opts.fromStart) {
      // Where "now" is, once: the loop below then asks for what comes after it.
      const head = (await client.call('GET', '/v1/admin/deliveries?after=now')) as { nextAfter: string | null };
      after = head.nextAfter ?? '';
    }
    process.stderr.write(`Following deliveries${after ? ` after position ${after}` : ' from the start'}${appId ? ` of ${appId}` : ''} (Ctrl-C stops).\n`);
    let shown = 0;
    for (;;) {
      const query = new URLSearchParams({ wait: '20', ...(after ? { after } : {}) });
      const page = (await client.call('GET', `/v1/admin/deliveries?${query.toString()}`)) as { data: Delivery[]; nextAfter: string | null };
      for (const d of page.data) {
        if (appId && d.applicationId !== appId) continue;
        // --json: one JSON document per line (JSON Lines), as they come.
        process.stdout.write(client.json ? `${JSON.stringify(d)}\n` : `${deliveryLine(d, colour)}\n`);
        if (opts.count !== undefined && ++shown >= opts.count) return;
      }
      if (page.nextAfter) after = page.nextAfter;
      if (page.data.length === 0) await sleep(100);
    }
  });
};

const describeLogVerification = (log: LogVerification): string => {
  const counts = `${log.events} events in ${log.streams} streams (${log.chainedEvents} chained, ${log.unchainedEvents} written before chaining)`;
  const anchors =
    log.anchors === 0
      ? 'no anchors yet'
      : `${log.anchors} anchors signed by key ${log.keyId ?? '?'} pinning ${log.anchoredHeads} stream heads, the last at ${log.lastAnchor?.at ?? '?'}; ${log.eventsAfterLastAnchor} events since it, not pinned yet`;
  if (!log.firstBreak) return `Clean: ${counts}; every chain holds.\n${anchors.charAt(0).toUpperCase()}${anchors.slice(1)}.`;
  const b = log.firstBreak;
  return [
    `Broken: ${b.message}`,
    `  stream    ${b.stream}`,
    `  revision  ${b.revision}${b.position === null ? '' : ` (position ${b.position}, ${b.type ?? '?'})`}`,
    ...(b.anchor === null ? [] : [`  anchor    ${b.anchor}`]),
    `  reason    ${b.reason}`,
    `  expected  ${b.expected}`,
    `  found     ${b.found}`,
    `Checked ${counts} up to the break.`,
  ].join('\n');
};

type PublicKeyInfo = { algorithm: string; keyId: string; publicKey: string; publicKeyPem: string; createdAt: string };

export const addAuditCommands = (program: Command): void => {
  const audit = program.command('audit').description("check the read models and the signed log; print the anchor key; export an application's history");
  withClientOptions(
    audit
      .command('verify')
      .description('fold the log afresh and compare every read-model document; exit 1 if any differs')
      .option('--log', "instead, check the signed anchors, recompute every stream's hash chain and find every anchored head in the log; name the first break; exit 1 if there is one")
      .option('--public-key <key>', "with --log: check the anchors against this Ed25519 public key (hex, base64, PEM, or @file) instead of the log's own"),
  ).action(async (opts: Opts<{ log?: boolean; publicKey?: string }>) => {
    const client = clientOf(opts);
    if (opts.publicKey !== undefined && !opts.log) throw new CliError('--public-key goes with --log.', EXIT_USAGE);
    if (opts.log) {
      const publicKey = opts.publicKey?.startsWith('@') ? readFileSync(opts.publicKey.slice(1), 'utf8') : opts.publicKey;
      const log = (await client.call('POST', '/v1/admin/audit/verify-log', publicKey === undefined ? undefined : { publicKey })) as LogVerification;
      print(client, log, () => describeLogVerification(log));
      if (!log.clean) process.exitCode = EXIT_FAILURE;
      return;
    }
    const result = (await client.call('POST', '/v1/admin/audit/verify')) as {
      clean: boolean;
      checkedDocuments: number;
      differences: { collection: string; id: string; field: string; expected: unknown; found: unknown }[];
    };
    print(client, result, () =>
      result.clean
        ? `Clean: ${result.checkedDocuments} documents match the log.`
        : `${result.differences.length} difference(s) in ${result.checkedDocuments} documents:\n${table(result.differences, ['collection', 'id', 'field', 'expected', 'found'])}`,
    );
    if (!result.clean) process.exitCode = EXIT_FAILURE;
  });
  withClientOptions(
    audit
      .command('key')
      .description("print the deployment's Ed25519 public key that signs the audit anchors (GET /v1/audit/public-key); keep a copy to verify against later")
      .option('--pem', 'print only the PEM public key (for openssl)'),
  ).action(async (opts: Opts<{ pem?: boolean }>) => {
    const client = clientOf(opts);
    const key = (await client.call('GET', '/v1/audit/public-key')) as PublicKeyInfo;
    if (opts.pem && !client.json) {
      process.stdout.write(key.publicKeyPem);
      return;
    }
    print(client, key, () => [`Key id      ${key.keyId}`, `Algorithm   ${key.algorithm}`, `Public key  ${key.publicKey}`, `Created     ${key.createdAt}`, '', key.publicKeyPem.trimEnd()].join('\n'));
  });
  withClientOptions(
    audit
      .command('export')
      .description("an application's full history as JSON Lines with positions (stdout, or --out)")
      .argument('<appId>', 'the application (id or uid)')
      .option('--out <file>', 'write to this file'),
  ).action(async (appId: string, opts: Opts<{ out?: string }>) => {
    const client = clientOf(opts);
    const res = await client.fetchRaw('GET', `/v1/admin/audit/export/${encodeURIComponent(appId)}`);
    if (!res.body) throw new CliError('The export answered with no body.');
    const body = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    if (!opts.out) {
      // JSON Lines as the server writes them: each line parses, with or without --json.
      await pipeline(body, process.stdout, { end: false });
      return;
    }
    let lines = 0;
    body.on('data', (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) lines++;
    });
    await pipeline(body, createWriteStream(opts.out));
    print(client, { file: opts.out, lines }, () => `Wrote ${lines} events to ${opts.out}.`);
  });
};

const describeJob = (job: RebuildJob): string => {
  const eta = job.state !== 'done' && job.etaSeconds !== null && job.etaSeconds !== undefined ? `, ETA ${Math.ceil(job.etaSeconds)} s` : '';
  return `${job.processedEvents} events, ${Math.round(job.eventsPerSecond)} events/s${eta} (${job.state})`;
};

const positionNumber = (p: string | null): number => (p === null ? 0 : Number(p.split('/')[0]));

export const addProjectionCommands = (program: Command): void => {
  const projections = program.command('projections').description('the read models built from the log');
  withClientOptions(projections.command('status').description('each projection with its position, lag and state')).action(async (opts: ClientOptions) => {
    const client = clientOf(opts);
    const status = (await client.call('GET', '/v1/admin/projections')) as Record<string, unknown>[];
    print(client, status, () => table(status, ['name', 'position', 'lag', 'state']));
  });
  withClientOptions(
    projections
      .command('rebuild')
      .description('rebuild read models from the start of the log while the live ones keep serving, then swap them in')
      .option('--only <name...>', 'only these projections (repeat or space-separate)')
      .option('--no-wait', 'start it and print the job id without waiting'),
  ).action(async (opts: Opts<{ only?: string[]; wait: boolean }>) => {
    const client = clientOf(opts);
    const started = (await client.call('POST', '/v1/admin/projections/rebuild', opts.only ? { names: opts.only } : {})) as { jobId: string };
    if (!opts.wait) {
      print(client, started, () => `Rebuild ${started.jobId} started.`);
      return;
    }
    // --json keeps stdout for the final job document; the bar or the plain lines go to stderr.
    const progress = progressReporter(process.stderr, `rebuild ${started.jobId}`);
    let job: RebuildJob;
    for (;;) {
      job = (await client.call('GET', `/v1/admin/projections/rebuild/${encodeURIComponent(started.jobId)}`)) as RebuildJob;
      if (job.state === 'done' || job.state === 'failed') break;
      progress.update(positionNumber(job.position), positionNumber(job.headPosition), describeJob(job));
      await sleep(250);
    }
    progress.finish(job.state === 'done' ? `Rebuilt ${job.names.length > 0 ? job.names.join(', ') : 'every read model'}: ${describeJob(job)}` : `Rebuild failed: ${job.error ?? 'unknown error'}`);
    if (client.json) print(client, job, () => '');
    if (job.state === 'failed') process.exitCode = EXIT_FAILURE;
  });
};
