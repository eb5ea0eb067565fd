import { useEffect } from 'react';
import { usePortalStore } from '../context';
import { DownloadReceipt } from './DownloadReceipt';
import { ErrorState } from './ErrorState';
import { LoadingState } from './LoadingState';
import { formatLatency, formatTime } from './format';

/** Every delivery attempt of one message: status code, latency and what the receiver answered. */
export const MessageAttempts = ({ messageId }: { messageId: string }) => {
  const detail = usePortalStore((s) => s.messageDetails[messageId]);
  const load = usePortalStore((s) => s.loadMessage);
  useEffect(() => {
    void load(messageId);
  }, [messageId, load]);

  if (!detail || (detail.status === 'loading' && detail.attempts.length === 0)) return <LoadingState label="Loading attempts…" />;
  if (detail.status === 'error') return <ErrorState title="Could not load attempts" message={detail.error ?? ''} onRetry={() => void load(messageId)} />;
  if (detail.attempts.length === 0) return <p className="hbp-muted">No attempt yet: the message is waiting to be sent.</p>;
  return (
    <ol className="hbp-list" aria-label="Delivery attempts">
      {detail.attempts.map((a) => (
        <li key={a.id} className="hbp-attempt" data-attempt={a.attemptNumber}>
          <div className="hbp-row">
            <strong>Attempt {a.attemptNumber}</strong>
            <span className={`hbp-badge ${a.responseStatus !== null && a.responseStatus < 300 ? 'hbp-badge-success' : 'hbp-badge-danger'}`}>
              {a.responseStatus === null ? 'No response' : `HTTP ${a.responseStatus}`}
            </span>
            <span className="hbp-muted">{formatLatency(a.latencyMs)}</span>
            <time className="hbp-muted" dateTime={a.attemptedAt} title={a.attemptedAt}>
              {formatTime(a.attemptedAt)}
            </time>
            <DownloadReceipt messageId={messageId} attemptNumber={a.attemptNumber} />
          </div>
          {a.error && a.error !== `HTTP ${a.responseStatus}` ? <div className="hbp-field-error">{a.error}</div> : null}
          {a.responseBody ? <pre className="hbp-response" aria-label={`Response body of attempt ${a.attemptNumber}`}>{a.responseBody}</pre> : null}
        </li>
      ))}
    </ol>
  );
};
