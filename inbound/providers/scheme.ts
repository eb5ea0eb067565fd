import type { InboundRequest, Verification } from './verification';

/** What a scheme is handed: the key in clear (opened for this call only) and the replay window in force. */
export type SchemeKey = Readonly<{
  /** The signing secret, or for SendGrid the verification (public) key. */
  key: string;
  /** Null: the scheme has no timestamp, or none is checked. */
  toleranceSeconds: number | null;
}>;

/** One provider's scheme: how it signs, what it needs, its documented default window. */
export type Scheme = Readonly<{
  provider: string;
  /** The provider's own default, from its docs or official SDK (null: it signs no timestamp, or sets no window). */
  defaultToleranceSeconds: number | null;
  verify: (key: SchemeKey, request: InboundRequest) => Verification;
}>;
