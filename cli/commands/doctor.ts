import type { Command } from 'commander';
import { SERVE_FLAGS, configArgv } from './serve';
import type { CheckResult, CheckStatus } from './doctorChecks';
import { EXIT_FAILURE, EXIT_OK } from './context';

/** The flags of `serve` that say where the data is: doctor checks what `serve` with them would use. */
const DOCTOR_FLAGS = SERVE_FLAGS.filter(([flag]) => ['data-dir', 'store', 'events', 'reads', 'esdb-url', 'mongo-url', 'master-key', 'events-sync'].includes(flag));

const MARK: Record<CheckStatus, string> = { pass: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

export type DoctorReport = Readonly<{
  /** False when a check failed: Hookbase cannot work with this configuration (exit 1). */
  ok: boolean;
  layout: Readonly<{ events: string; reads: string; dataDir: string }>;
  checks: readonly CheckResult[];
  summary: Readonly<Record<CheckStatus, number>>;
}>;

const text = (report: DoctorReport): string => {
  const lines = [`hookbase doctor: events ${report.layout.events}, read models ${report.layout.reads} (data dir ${report.layout.dataDir})`];
  for (const check of report.checks) {
    lines.push(`  ${MARK[check.status]}  ${check.title}: ${check.detail}`);
    if (check.fix && (check.status === 'fail' || check.status === 'warn')) lines.push(`        fix: ${check.fix}`);
  }
  const { pass, warn, fail, skip } = report.summary;
  lines.push(`${pass} passed, ${warn} warning(s), ${fail} failed${skip ? `, ${skip} skipped` : ''}: ${report.ok ? (warn ? 'Hookbase can run, degraded where warned' : 'Hookbase can run') : 'Hookbase cannot run until the failures are fixed'}`);
  return `${lines.join('\n')}\n`;
};

export const addDoctorCommand = (program: Command): Command => {
  const doctor = program
    .command('doctor')
    .description('check the configured servers (EventStoreDB, MongoDB) or data dir as `serve` would use them: exit 1 when Hookbase cannot work, 0 with warnings when it only degrades');
  for (const [flag, value, description] of DOCTOR_FLAGS) doctor.option(`--${flag} ${value}`, description);
  doctor.option('--json', 'print the report as JSON');
  doctor.action(async (opts: Record<string, unknown>) => {
    const [{ loadConfig }, { runDoctorChecks }] = await Promise.all([import('../config'), import('./doctorChecks')]);
    const config = loadConfig(process.env, configArgv(opts, DOCTOR_FLAGS));
    const checks = await runDoctorChecks(config);
    const summary: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0, skip: 0 };
    for (const check of checks) summary[check.status]++;
    const report: DoctorReport = { ok: summary.fail === 0, layout: { events: config.events, reads: config.reads, dataDir: config.dataDir }, checks, summary };
    const out = opts.json === true ? `${JSON.stringify(report)}\n` : text(report);
    // Exits once printed: a server that never answered may leave a socket open behind a check that timed out.
    await new Promise<void>((resolve) => process.stdout.write(out, () => resolve()));
    process.exit(report.ok ? EXIT_OK : EXIT_FAILURE);
  });
  return doctor;
};
