import { useId, useState } from 'react';
import type { MessageStatus } from '../api/types';
import { useMessages } from '../hooks/useMessages';
import { EmptyState } from './EmptyState';
import { ErrorState } from './ErrorState';
import { LoadingState } from './LoadingState';
import { MessageRow } from './MessageRow';

export interface MessageLogProps {
  /** Messages per page (default 25). */
  limit?: number;
  /** Reload every this many milliseconds (default 30 000; 0: never). */
  refreshInterval?: number;
  endpointId?: string;
  /** Only messages in this state; without it the log offers a filter. */
  status?: MessageStatus;
}

const filters: { value: '' | MessageStatus; label: string }[] = [
  { value: '', label: 'All' },
  { value: 'success', label: 'Delivered' },
  { value: 'failed', label: 'Retrying' },
  { value: 'exhausted', label: 'Failed' },
  { value: 'pending', label: 'Pending' },
];

/** Delivery history, newest first, with each message's attempts and a replay button. */
export const MessageLog = ({ limit = 25, refreshInterval = 30_000, endpointId, status }: MessageLogProps) => {
  const id = useId();
  const [filter, setFilter] = useState<'' | MessageStatus>('');
  const [offset, setOffset] = useState(0);
  const effective = status ?? (filter || undefined);
  const { messages, total, isLoading, error, refresh } = useMessages({ endpointId, status: effective, limit, offset, refreshInterval });

  const body = () => {
    if (isLoading) return <LoadingState label="Loading delivery history…" />;
    if (error && messages.length === 0) return <ErrorState title="Could not load delivery history" message={error} onRetry={() => void refresh()} />;
    if (messages.length === 0)
      return <EmptyState title="No messages yet">{effective ? 'No message is in this state.' : 'Messages appear here as soon as events are sent to your endpoints.'}</EmptyState>;
    return (
      <ul className="hbp-messages" aria-label="Messages">
        {messages.map((m) => (
          <MessageRow key={m.id} message={m} showEndpoint={!endpointId} onReplayed={() => void refresh()} />
        ))}
      </ul>
    );
  };

  return (
    <section className="hbp-card" aria-label="Delivery history">
      <div className="hbp-spread" style={{ marginBottom: 8 }}>
        <div className="hbp-row">
          {status ? null : (
            <>
              <label className="hbp-label" htmlFor={`${id}-status`}>
                Status
              </label>
              <select
                id={`${id}-status`}
                className="hbp-select"
                value={filter}
                onChange={(e) => {
                  setFilter(e.target.value as '' | MessageStatus);
                  setOffset(0);
                }}
              >
                {filters.map((f) => (
                  <option key={f.value} value={f.value}>
                    {f.label}
                  </option>
                ))}
              </select>
            </>
          )}
        </div>
        <button type="button" className="hbp-button" onClick={() => void refresh()}>
          Refresh
        </button>
      </div>
      {body()}
      {total > limit ? (
        <nav className="hbp-spread" aria-label="Message pages" style={{ marginTop: 8 }}>
          <span className="hbp-muted">
            {offset + 1}–{Math.min(offset + limit, total)} of {total}
          </span>
          <span className="hbp-row">
            <button type="button" className="hbp-button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - limit))}>
              Newer
            </button>
            <button type="button" className="hbp-button" disabled={offset + limit >= total} onClick={() => setOffset(offset + limit)}>
              Older
            </button>
          </span>
        </nav>
      ) : null}
    </section>
  );
};
