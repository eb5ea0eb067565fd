import { useEffect, useMemo } from 'react';
import type { PortalAttempt } from '../api/types';
import { usePortalStore } from '../context';
import { useMessages } from '../hooks/useMessages';
import { healthBuckets, successRate } from '../store/selectors';
import { EmptyState } from './EmptyState';
import { ErrorState } from './ErrorState';
import { HealthChart } from './HealthChart';
import { LoadingState } from './LoadingState';
import { formatLatency } from './format';

export interface EndpointHealthProps {
  endpointId: string;
  /** Reload every this many milliseconds (default 30 000). */
  refreshInterval?: number;
}

const HOUR = 3600_000;
/** Messages whose attempts are read for the latency line (one request each). */
const LATENCY_SAMPLE = 10;

/** Success rate and latency of an endpoint's recent deliveries, over time. */
export const EndpointHealth = ({ endpointId, refreshInterval = 30_000 }: EndpointHealthProps) => {
  const { messages, isLoading, error, refresh, loadedAt } = useMessages({ endpointId, limit: 100, refreshInterval });
  const details = usePortalStore((s) => s.messageDetails);
  const loadMessage = usePortalStore((s) => s.loadMessage);
  const sample = useMemo(() => messages.filter((m) => m.attempts > 0).slice(0, LATENCY_SAMPLE), [messages]);

  // Keyed by the ids, not the array: loading a message's attempts updates the messages and so the array.
  const sampleIds = sample.map((m) => m.id).join(' ');
  useEffect(() => {
    for (const id of sampleIds.split(' ').filter(Boolean)) void loadMessage(id);
    // Reload the sample whenever the list was reloaded.
  }, [sampleIds, loadMessage, loadedAt]);

  const attempts = useMemo(() => sample.flatMap((m): PortalAttempt[] => details[m.id]?.attempts ?? []), [sample, details]);
  const now = loadedAt ?? Date.now();
  const oldest = messages.reduce((min, m) => Math.min(min, Date.parse(m.createdAt)), now);
  const spanMs = Math.min(7 * 24 * HOUR, Math.max(HOUR, (now - oldest) * 1.1));
  const buckets = useMemo(() => healthBuckets(messages, attempts, now, spanMs, 12), [messages, attempts, now, spanMs]);

  if (isLoading) return <LoadingState label="Loading endpoint health…" />;
  if (error && messages.length === 0) return <ErrorState title="Could not load endpoint health" message={error} onRetry={() => void refresh()} />;

  const delivered = messages.filter((m) => m.status === 'success').length;
  const failed = messages.filter((m) => m.status === 'exhausted' || m.status === 'failed').length;
  // Over the same recent messages as the chart (reloaded with it), so the figure and the bars agree.
  const rate = successRate(delivered, failed);
  const latencies = attempts.map((a) => a.latencyMs).filter((l): l is number => l !== null);
  const meanLatency = latencies.length ? latencies.reduce((s, l) => s + l, 0) / latencies.length : null;
  const rateText = rate === null ? '—' : `${Math.round(rate * 100)}%`;

  return (
    <section className="hbp-card" aria-label="Endpoint health">
      <div className="hbp-card-title">Health</div>
      <div className="hbp-stats">
        <div>
          <div className="hbp-muted">Success rate (recent)</div>
          <div className="hbp-stat-value" data-testid="hbp-success-rate">{rateText}</div>
        </div>
        <div>
          <div className="hbp-muted">Mean latency</div>
          <div className="hbp-stat-value">{formatLatency(meanLatency)}</div>
        </div>
        <div>
          <div className="hbp-muted">Recent messages</div>
          <div className="hbp-stat-value">{messages.length}</div>
        </div>
      </div>
      {messages.length === 0 ? (
        <EmptyState title="No deliveries yet">The chart fills in as messages are delivered to this endpoint.</EmptyState>
      ) : (
        <>
          <HealthChart buckets={buckets} spanMs={spanMs} label={`Success rate ${rateText} and mean latency ${formatLatency(meanLatency)} over recent deliveries`} />
          <div className="hbp-legend" aria-hidden="true">
            <span>
              <span className="hbp-swatch" style={{ background: 'var(--hbp-success)' }} />
              Delivered
            </span>
            <span>
              <span className="hbp-swatch" style={{ background: 'var(--hbp-danger)' }} />
              Failed
            </span>
            <span>
              <span className="hbp-swatch" style={{ background: 'var(--hbp-accent)' }} />
              Latency (right axis)
            </span>
          </div>
        </>
      )}
    </section>
  );
};
