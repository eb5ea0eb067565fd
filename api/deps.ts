import type { EventStore } from '../store/eventStore';
import type { ReadStore } from '../store/readStore';
import type { ProjectionProgress, ProjectionStatus } from '../projections/runner';
import type { RateLimiter } from './rateLimit';

export type ApiConfig = Readonly<{
  /** Base of magic links, e.g. http://127.0.0.1:8080. */
  publicUrl: string;
  allowPrivateNetworks: boolean;
  /** Delays after the first attempt, in ms: fixes maxAttempts at send time. */
  retryScheduleMs: readonly number[];
  bodyLimitBytes: number;
  /** How long a command waits for the read models to include its events. */
  readYourWritesTimeoutMs: number;
  version: string;
  /** The one organization the cloud-compatible /api answers for (HOOKBASE_ORG_ID, HOOKBASE_ORG_NAME). */
  organization?: Readonly<{ id: string; name: string; slug: string }>;
  /** The one organization the cloud-compatible surfaces name (default org_default). */
  organizationId?: string;
  /** Where the hosted portal's build lives (default portal/dist/hosted in the repository). */
  hostedPortalDir?: string;
}>;

/** What the API needs from the rest of the system: the two ports, the projections' progress, and a clock. */
export type ApiDeps = Readonly<{
  events: EventStore;
  reads: ReadStore;
  /** Operational state (idempotency answers): never a read model, so a rebuild never drops it. */
  ops: ReadStore;
  progress: ProjectionProgress;
  masterKey: Buffer;
  config: ApiConfig;
  rateLimiter: RateLimiter;
  now: () => Date;
  log: (line: string) => void;
  /** Present in a process that runs the projections. */
  projectionStatus?: () => Promise<ProjectionStatus[]>;
  /** DNS lookup used by the SSRF guard at endpoint creation (tests inject one). */
  lookup?: (hostname: string) => Promise<string[]>;
}>;
