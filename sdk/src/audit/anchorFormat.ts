// What anchors.ts and anchorHeads.ts share: a head, the error naming a field that breaks the format, and the checks.
// Pure (no `node:` import).

/** A stream's last event as an anchor pins it: the stream id, its revision (decimal) and its chain hash. */
export type AnchoredHead = Readonly<{ stream: string; revision: string; hash: string }>;

/** A field that breaks the encoding's rules, named. */
export class AnchorFormatError extends Error {
  constructor(
    readonly field: string,
    readonly rule: string,
  ) {
    super(`Anchor field ${field}: ${rule}.`);
    this.name = 'AnchorFormatError';
  }
}

export const HEX64 = /^[0-9a-f]{64}$/;
export const DECIMAL = /^(0|[1-9][0-9]*)$/;

export const check = (ok: boolean, field: string, rule: string): void => {
  if (!ok) throw new AnchorFormatError(field, rule);
};

export const checkHead = (head: AnchoredHead, field = 'head'): void => {
  check(typeof head.stream === 'string' && head.stream.length > 0, `${field}.stream`, 'a non-empty string');
  check(typeof head.revision === 'string' && DECIMAL.test(head.revision), `${field}.revision`, 'a decimal integer, no sign, no leading zeros');
  check(typeof head.hash === 'string' && HEX64.test(head.hash), `${field}.hash`, '64 lowercase hex digits');
};
