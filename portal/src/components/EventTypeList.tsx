import { useEventTypes } from '../hooks/useEventTypes';
import { EmptyState } from './EmptyState';
import { ErrorState } from './ErrorState';
import { LoadingState } from './LoadingState';

/** The event types this application sends, by category. */
export const EventTypeList = () => {
  const { groups, isLoading, error, refresh } = useEventTypes();
  if (isLoading && groups.length === 0) return <LoadingState label="Loading event types…" />;
  if (error) return <ErrorState title="Could not load event types" message={error} onRetry={() => void refresh()} />;
  if (groups.length === 0) return <EmptyState title="No event types yet">Event types appear here once they are defined.</EmptyState>;
  return (
    <div className="hbp-stack">
      {groups.map((group) => (
        <section key={group.category} className="hbp-card" aria-label={`Category ${group.category}`}>
          <h3 className="hbp-card-title" style={{ textTransform: 'capitalize' }}>
            {group.category}
          </h3>
          <ul className="hbp-list">
            {group.eventTypes.map((et) => (
              <li key={et.id} className="hbp-list-item">
                <div className="hbp-list-main">
                  <div className="hbp-mono">{et.name}</div>
                  {et.displayName && et.displayName !== et.name ? <div>{et.displayName}</div> : null}
                  {et.description ? <div className="hbp-muted">{et.description}</div> : null}
                </div>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </div>
  );
};
