import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

const key = Buffer.alloc(32, 7).toString('base64');
const ESDB = 'esdb://127.0.0.1:2113?tls=false';
const MONGO = 'mongodb://127.0.0.1:27017/hookbase?replicaSet=rs0';

/** The message of the ConfigError that loading throws (fails the test when it does not throw one). */
const refusal = (env: NodeJS.ProcessEnv, argv: readonly string[] = []): string => {
  try {
    loadConfig(env, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('loadConfig accepted it');
};

describe('the two ports, chosen separately (HOOKBASE_EVENTS, HOOKBASE_READS, HOOKBASE_STORE)', () => {
  it('defaults to both embedded', () => {
    const config = loadConfig({});
    expect([config.events, config.reads, config.store]).toEqual(['embedded', 'embedded', 'embedded']);
  });

  it('HOOKBASE_STORE=esdb is the shorthand for EventStoreDB events and MongoDB read models', () => {
    const config = loadConfig({ HOOKBASE_STORE: 'esdb', HOOKBASE_ESDB_URL: ESDB, HOOKBASE_MONGO_URL: MONGO, HOOKBASE_MASTER_KEY: key });
    expect([config.events, config.reads, config.store]).toEqual(['esdb', 'mongo', 'esdb']);
  });

  it('takes the two mixed layouts from the variables and from the flags', () => {
    const embeddedEvents = loadConfig({ HOOKBASE_EVENTS: 'embedded', HOOKBASE_READS: 'mongo', HOOKBASE_MONGO_URL: MONGO });
    expect([embeddedEvents.events, embeddedEvents.reads, embeddedEvents.store]).toEqual(['embedded', 'mongo', 'mixed']);
    const esdbEvents = loadConfig({ HOOKBASE_ESDB_URL: ESDB, HOOKBASE_MASTER_KEY: key }, ['--events', 'esdb', '--reads=embedded']);
    expect([esdbEvents.events, esdbEvents.reads, esdbEvents.store]).toEqual(['esdb', 'embedded', 'mixed']);
    // One port given: the other stays embedded.
    expect(loadConfig({ HOOKBASE_READS: 'mongo', HOOKBASE_MONGO_URL: MONGO }).events).toBe('embedded');
  });

  it('a flag replaces its own variable', () => {
    const config = loadConfig({ HOOKBASE_READS: 'mongo', HOOKBASE_MONGO_URL: MONGO }, ['--reads', 'embedded']);
    expect(config.reads).toBe('embedded');
  });

  it('accepts the shorthand with a port variable that agrees with it', () => {
    const config = loadConfig({ HOOKBASE_STORE: 'esdb', HOOKBASE_READS: 'mongo', HOOKBASE_ESDB_URL: ESDB, HOOKBASE_MONGO_URL: MONGO, HOOKBASE_MASTER_KEY: key });
    expect([config.events, config.reads]).toEqual(['esdb', 'mongo']);
  });

  it('refuses the shorthand with a port variable that contradicts it, naming both and the way out', () => {
    const message = refusal({ HOOKBASE_STORE: 'esdb', HOOKBASE_READS: 'embedded', HOOKBASE_ESDB_URL: ESDB, HOOKBASE_MASTER_KEY: key });
    expect(message).toContain('HOOKBASE_STORE=esdb means HOOKBASE_EVENTS=esdb and HOOKBASE_READS=mongo, but HOOKBASE_READS=embedded');
    expect(message).toContain('leave HOOKBASE_STORE unset');
    expect(refusal({ HOOKBASE_STORE: 'embedded', HOOKBASE_EVENTS: 'esdb' })).toContain('HOOKBASE_STORE=embedded means HOOKBASE_EVENTS=embedded and HOOKBASE_READS=embedded, but HOOKBASE_EVENTS=esdb');
    // Given as a flag, the message names the flag.
    expect(refusal({ HOOKBASE_STORE: 'esdb', HOOKBASE_MASTER_KEY: key }, ['--reads', 'embedded'])).toContain('but --reads=embedded');
  });

  it('refuses unknown engines, naming the variable and the choices', () => {
    expect(refusal({ HOOKBASE_EVENTS: 'mongo' })).toBe('HOOKBASE_EVENTS must be embedded or esdb (got "mongo").');
    expect(refusal({ HOOKBASE_READS: 'esdb' })).toBe('HOOKBASE_READS must be embedded or mongo (got "esdb").');
    expect(refusal({ HOOKBASE_STORE: 'mongo' })).toBe('HOOKBASE_STORE must be embedded or esdb (got "mongo").');
    expect(refusal({}, ['--events=sqlite'])).toBe('--events must be embedded or esdb (got "sqlite").');
  });

  it('needs the URL of each server-backed port, naming the variable', () => {
    expect(refusal({ HOOKBASE_READS: 'mongo' })).toContain('HOOKBASE_MONGO_URL');
    expect(refusal({ HOOKBASE_READS: 'mongo' })).not.toContain('HOOKBASE_ESDB_URL');
    expect(refusal({ HOOKBASE_EVENTS: 'esdb', HOOKBASE_MASTER_KEY: key })).toContain('HOOKBASE_ESDB_URL');
    const both = refusal({ HOOKBASE_STORE: 'esdb', HOOKBASE_MASTER_KEY: key });
    expect(both).toContain('HOOKBASE_ESDB_URL');
    expect(both).toContain('HOOKBASE_MONGO_URL');
  });

  it('requires the master key whenever the events are on EventStoreDB, not for embedded events with MongoDB read models', () => {
    expect(refusal({ HOOKBASE_EVENTS: 'esdb', HOOKBASE_ESDB_URL: ESDB })).toMatch(/HOOKBASE_MASTER_KEY is required with HOOKBASE_EVENTS=esdb.*openssl rand -base64 32/s);
    // All processes of that layout share the data dir (events.db), where the key is generated once.
    expect(loadConfig({ HOOKBASE_READS: 'mongo', HOOKBASE_MONGO_URL: MONGO }).masterKey).toBeNull();
  });
});

describe('audit anchors (HOOKBASE_AUDIT_ANCHOR_EVERY, HOOKBASE_AUDIT_ANCHOR_INTERVAL)', () => {
  it('defaults to an anchor every 1,000 events or 10 s, and takes whole events and decimal seconds', () => {
    expect(loadConfig({}).auditAnchors).toEqual({ every: 1000, intervalMs: 10_000 });
    expect(loadConfig({ HOOKBASE_AUDIT_ANCHOR_EVERY: '4096', HOOKBASE_AUDIT_ANCHOR_INTERVAL: '0.25' }).auditAnchors).toEqual({ every: 4096, intervalMs: 250 });
    expect(loadConfig({ HOOKBASE_AUDIT_ANCHOR_EVERY: '', HOOKBASE_AUDIT_ANCHOR_INTERVAL: '' }).auditAnchors).toEqual({ every: 1000, intervalMs: 10_000 });
    expect(loadConfig({}, ['--audit-anchor-interval', '60']).auditAnchors.intervalMs).toBe(60_000);
  });

  it('refuses what it cannot use, naming the variable, the rule and the value', () => {
    for (const every of ['0', '4097', '1.5', 'many', '-3']) {
      expect(refusal({ HOOKBASE_AUDIT_ANCHOR_EVERY: every })).toMatch(new RegExp(`^HOOKBASE_AUDIT_ANCHOR_EVERY must be a whole number of events from 1 to 4096 \\(got "${every.replace('.', '\\.')}"\\)`));
    }
    for (const interval of ['0', '0.01', '86401', '10s', '-1', '1e3']) {
      expect(refusal({ HOOKBASE_AUDIT_ANCHOR_INTERVAL: interval })).toBe(`HOOKBASE_AUDIT_ANCHOR_INTERVAL must be a number of seconds from 0.05 to 86400, e.g. 10 or 0.5 (got "${interval}").`);
    }
  });
});
