/** The parent's side of bench/loadgen.ts: forks it and calls its commands over the IPC channel. */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CommandName, Commands, Reply } from './protocol';

export type LoadGen = Readonly<{
  call: <K extends CommandName>(cmd: K, args: Commands[K]['args']) => Promise<Commands[K]['result']>;
  stop: () => Promise<void>;
}>;

/**
 * The load generator's program. Bundled (`npm run bench`: build/bundle.mjs's `bench`), it is the entry `loadgen.js`
 * beside this module, run by plain `node`; from the sources (tsx, vitest), loadgen.ts, forked with this process's
 * flags (tsx's loader among them).
 */
const LOADGEN = fileURLToPath(new URL(import.meta.url.endsWith('.js') ? './loadgen.js' : './loadgen.ts', import.meta.url));

export const startLoadGen = (): LoadGen => {
  const child: ChildProcess = fork(LOADGEN, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`load generator exited (${signal ?? code})`));
      pending.clear();
      resolve();
    }),
  );
  // A failed send (the child died, e.g. on Ctrl-C) must not crash us before the clean-up: its call is rejected.
  child.on('error', () => {});
  child.on('message', (raw: unknown) => {
    const reply = raw as Reply;
    const p = pending.get(reply.id);
    if (!p) return;
    pending.delete(reply.id);
    if (reply.ok) p.resolve(reply.result);
    else p.reject(new Error(`load generator: ${reply.error}`));
  });
  const call = <K extends CommandName>(cmd: K, args: Commands[K]['args']): Promise<Commands[K]['result']> =>
    new Promise((resolve, reject) => {
      if (exited || !child.connected) return reject(new Error('load generator is not running'));
      const id = nextId++;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ id, cmd, args }, (error) => {
        if (!error) return;
        pending.delete(id);
        reject(error);
      });
    });
  const stop = async (): Promise<void> => {
    if (exited) return;
    if (!child.connected) {
      child.kill('SIGKILL');
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await call('exit', {}).catch(() => {});
    await exitedPromise;
    clearTimeout(timer);
  };
  return { call, stop };
};
