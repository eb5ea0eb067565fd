// `hookbase audit receipt | verify-receipt | verify-bundle` and `audit export --bundle` (issue 18 items 3 and 4;
// docs/audit.md, "Receipts and bundles"). The verifiers run offline: the SDK's pure functions, no server.
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { parsePublicKey } from '../../sdk/src/audit/anchor.js';
import type { BundleVerification } from '../../sdk/src/audit/bundle.js';
import { verifyAuditBundle } from '../../sdk/src/audit/bundle.js';
import type { ReceiptVerification } from '../../sdk/src/audit/receipt.js';
import { serializeReceipt, verifyReceipt } from '../../sdk/src/audit/receipt.js';
import type { Receipt } from '../../sdk/src/audit/receipt.js';
import { describeDeliveryReport } from '../../sdk/src/audit/report.js';
import type { Problem } from '../../sdk/src/audit/streams.js';
import { clientOf, CliError, EXIT_FAILURE, print, withClientOptions } from './context';
import type { ClientOptions } from './context';

type Opts<T> = ClientOptions & T;

/** `--public-key`: the key itself (64 hex digits, base64, PEM) or a file holding it (what `hookbase audit key` prints). */
export const readPublicKey = (value: string): Uint8Array => {
  const text = existsSync(value) ? readFileSync(value, 'utf8') : value;
  try {
    return parsePublicKey(text);
  } catch (error) {
    throw new CliError(`--public-key: ${error instanceof Error ? error.message : String(error)}`);
  }
};

const readFile = (file: string): Uint8Array => {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new CliError(`Cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
};

const describeProblems = (problems: readonly Problem[]): string[] => problems.map((p) => `  ✗ ${p.message}`);

export const describeBundleVerification = (v: BundleVerification): string => {
  const counts = `${v.events} events in ${v.streams} streams of ${v.applicationId ?? '?'}: ${v.anchoredEvents} pinned by signed anchors, ${v.unanchoredEvents} by their chains only${v.unchainedEvents > 0 ? `, ${v.unchainedEvents} written before chaining (not proven)` : ''}`;
  if (!v.valid) return [`NOT VALID: ${v.problems.length} problem(s).`, ...describeProblems(v.problems), counts].join('\n');
  const head = v.proven ? 'Verified: every chain, proof and signature checks out, and every event is pinned by a signed anchor.' : 'Valid, but not every event is pinned by a signed anchor yet (export again after the next anchor).';
  return [head, counts, '', describeDeliveryReport(v.report)].join('\n');
};

export const describeReceiptVerification = (v: ReceiptVerification): string => {
  if (!v.valid) return [`NOT VALID: ${v.problems.length} problem(s).`, ...describeProblems(v.problems)].join('\n');
  const lines = [
    v.proven ? 'Verified: the receipt\'s chains, proofs and signatures check out, and every attempt is pinned by a signed anchor.' : 'Valid, but not every attempt is pinned by a signed anchor yet (download it again after the next anchor).',
    `${v.message?.messageId ?? '?'} (${v.message?.eventType ?? '?'}) → ${v.delivery?.endpointId ?? '?'} ${v.delivery?.endpointUrl ?? ''}: ${v.delivery?.status ?? '?'}`,
  ];
  for (const a of v.attempts) {
    lines.push(`  attempt ${a.attemptNumber} at ${a.attemptedAt}: ${a.outcome}, ${a.responseStatus === null ? 'no response' : `HTTP ${a.responseStatus}`}, ${a.latencyMs} ms${a.anchored ? ', anchored' : ', not anchored yet'}`);
    if (a.request) {
      lines.push(`    sent to ${a.request.url} at ${a.request.sentAt}`, `    webhook-id ${a.request.webhookId}, webhook-timestamp ${a.request.webhookTimestamp}`, `    webhook-signature ${a.request.webhookSignature}`);
      lines.push(`    body sha256 ${a.request.bodySha256}, response body sha256 ${a.responseBodySha256 ?? '(no response)'}`);
    }
  }
  return lines.join('\n');
};

const positiveInt = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('an attempt number: an integer from 1');
  return n;
};

export const addReceiptCommands = (audit: Command): void => {
  withClientOptions(
    audit
      .command('receipt')
      .description("a delivery's signed receipt: the attempt (--attempt) or every attempt, with the chained events and anchor proofs that prove it")
      .argument('<appId>', 'the application (id or uid)')
      .argument('<outboundId>', 'the delivery (out_…)')
      .option('--attempt <n>', 'only this attempt', positiveInt)
      .option('--out <file>', 'write it to this file (else stdout)'),
  ).action(async (appId: string, outboundId: string, opts: Opts<{ attempt?: number; out?: string }>) => {
    const client = clientOf(opts);
    const query = opts.attempt === undefined ? '' : `?attempt=${opts.attempt}`;
    const receipt = (await client.call('GET', `/v1/applications/${encodeURIComponent(appId)}/outbound/${encodeURIComponent(outboundId)}/receipt${query}`)) as Receipt;
    if (!opts.out) {
      process.stdout.write(serializeReceipt(receipt));
      return;
    }
    await writeFile(opts.out, serializeReceipt(receipt));
    print(client, { file: opts.out, attempts: receipt.attempts.length }, () => `Wrote the receipt of ${receipt.attempts.length} attempt(s) of ${outboundId} to ${opts.out}.`);
  });

  audit
    .command('verify-receipt')
    .description('verify a receipt offline against the deployment\'s public key; exit 1 unless it is valid and anchored')
    .argument('<file>', 'the receipt (from `audit receipt`, the API, or the portal)')
    .requiredOption('--public-key <key>', "the deployment's public key (hex, base64 or PEM, or a file holding it)")
    .option('--json', 'print the verification as JSON')
    .action((file: string, opts: { publicKey: string; json?: boolean }) => {
      const v = verifyReceipt(new TextDecoder().decode(readFile(file)), readPublicKey(opts.publicKey));
      print({ json: opts.json === true }, v, () => describeReceiptVerification(v));
      if (!v.proven) process.exitCode = EXIT_FAILURE;
    });

  audit
    .command('verify-bundle')
    .description('verify an audit bundle offline against the deployment\'s public key and print the delivery report; exit 1 unless valid and anchored')
    .argument('<file>', 'the bundle (from `audit export --bundle`)')
    .requiredOption('--public-key <key>', "the deployment's public key (hex, base64 or PEM, or a file holding it)")
    .option('--json', 'print the verification and the report as JSON')
    .action((file: string, opts: { publicKey: string; json?: boolean }) => {
      const v = verifyAuditBundle(readFile(file), readPublicKey(opts.publicKey));
      print({ json: opts.json === true }, v, () => describeBundleVerification(v));
      if (!v.proven) process.exitCode = EXIT_FAILURE;
    });
};
