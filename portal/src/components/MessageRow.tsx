import { useId, useState } from 'react';
import type { PortalMessage } from '../api/types';
import { useReplay } from '../hooks/useReplay';
import { MessageAttempts } from './MessageAttempts';
import { StatusBadge } from './StatusBadge';
import { formatTime } from './format';

/** One delivery in the log; opens to its attempts, with a replay button. */
export const MessageRow = ({ message, showEndpoint, onReplayed }: { message: PortalMessage; showEndpoint: boolean; onReplayed: () => void }) => {
  const id = useId();
  const [open, setOpen] = useState(false);
  const { replay, isReplaying, lastResult, error } = useReplay();
  const busy = isReplaying(message.id);
  return (
    <li className="hbp-message" data-message-id={message.id} data-status={message.status}>
      <div className="hbp-message-head">
        <div className="hbp-message-type">{message.eventType}</div>
        <StatusBadge status={message.status} />
        <div className="hbp-message-meta">
          <time dateTime={message.createdAt} title={message.createdAt}>
            {formatTime(message.createdAt)}
          </time>
          {` · ${message.attempts} attempt${message.attempts === 1 ? '' : 's'}`}
          {showEndpoint ? <div className="hbp-mono">{message.endpointUrl}</div> : null}
        </div>
      </div>
      <div className="hbp-row" style={{ marginTop: 6 }}>
        <button type="button" className="hbp-button" aria-expanded={open} aria-controls={`${id}-attempts`} onClick={() => setOpen(!open)}>
          {open ? 'Hide attempts' : 'Show attempts'}
        </button>
        <button
          type="button"
          className="hbp-button"
          disabled={busy}
          aria-label={`Replay ${message.eventType} message ${message.id}`}
          onClick={() => void replay(message.id).then((r) => r && onReplayed())}
        >
          {busy ? 'Replaying…' : 'Replay'}
        </button>
        {lastResult ? <span role="status">Replay queued.</span> : null}
        {error ? (
          <span className="hbp-field-error" role="alert">
            {error}
          </span>
        ) : null}
      </div>
      {open ? (
        <div id={`${id}-attempts`} className="hbp-attempts">
          <MessageAttempts messageId={message.id} />
        </div>
      ) : null}
    </li>
  );
};
