/** What the production adapters raise when their server cannot be reached at start: the CLI prints it and exits. */
export class StoreUnreachableError extends Error {
  constructor(
    readonly engine: 'EventStoreDB' | 'MongoDB',
    readonly url: string,
    readonly reason: string,
  ) {
    // gRPC appends an empty "Resolution note:" to its messages.
    super(`${engine} at ${redactUrl(url)} cannot be reached: ${reason.replace(/\s*Resolution note:\s*$/, '')}`);
    this.name = 'StoreUnreachableError';
  }
}

/** The URL with any password replaced, fit for logs and error messages. */
export const redactUrl = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]+):[^@/]*@/i, '$1:***@');

/** Rejects with `message` when `promise` has not settled within `ms` (the timer does not hold the process). */
export const withTimeout = <T>(promise: Promise<T>, ms: number, message: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};
