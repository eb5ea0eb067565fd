import { useEffect, useId, useState } from 'react';
import { useEventTypes } from '../hooks/useEventTypes';
import { useSubscriptions } from '../hooks/useSubscriptions';
import { EmptyState } from './EmptyState';
import { ErrorState } from './ErrorState';
import { LoadingState } from './LoadingState';

export interface SubscriptionManagerProps {
  endpointId: string;
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** Which event types the endpoint receives, by category; nothing selected means every event type. */
export const SubscriptionManager = ({ endpointId }: SubscriptionManagerProps) => {
  const id = useId();
  const { groups, isLoading: typesLoading, error: typesError, refresh } = useEventTypes();
  const { subscribedIds, isLoading, error, save } = useSubscriptions(endpointId);
  const [selected, setSelected] = useState<string[]>(subscribedIds);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  useEffect(() => setSelected(subscribedIds), [subscribedIds]);

  if ((typesLoading && groups.length === 0) || isLoading) return <LoadingState label="Loading event types…" />;
  if (typesError) return <ErrorState title="Could not load event types" message={typesError} onRetry={() => void refresh()} />;
  if (error) return <ErrorState title="Could not load subscriptions" message={error} />;
  if (groups.length === 0) return <EmptyState title="No event types yet">This endpoint receives every event that is sent.</EmptyState>;

  const toggle = (eventTypeId: string, on: boolean) => {
    setSaved(false);
    setSelected((current) => (on ? [...current, eventTypeId] : current.filter((x) => x !== eventTypeId)));
  };
  const toggleGroup = (ids: string[], on: boolean) => {
    setSaved(false);
    setSelected((current) => (on ? [...new Set([...current, ...ids])] : current.filter((x) => !ids.includes(x))));
  };
  const submit = async () => {
    setSaving(true);
    setSaveError(null);
    try {
      await save(selected);
      setSaved(true);
    } catch (err) {
      setSaveError(err instanceof Error ? err.message : String(err));
    } finally {
      setSaving(false);
    }
  };
  const dirty = !sameSet(selected, subscribedIds);

  return (
    <section className="hbp-card" aria-label="Subscriptions">
      <div className="hbp-card-title">Event types received</div>
      <div className="hbp-note" role="status">
        {selected.length === 0
          ? 'All event types: nothing is selected, so this endpoint receives every event type.'
          : `${selected.length} event type${selected.length === 1 ? '' : 's'} selected: this endpoint receives only these.`}
      </div>
      <div className="hbp-groups">
        {groups.map((group) => {
          const ids = group.eventTypes.map((et) => et.id);
          const all = ids.every((x) => selected.includes(x));
          return (
            <fieldset key={group.category} className="hbp-group">
              <legend>{group.category}</legend>
              <label className="hbp-check">
                <input type="checkbox" checked={all} onChange={(e) => toggleGroup(ids, e.target.checked)} />
                <span className="hbp-muted">All of {group.category}</span>
              </label>
              {group.eventTypes.map((et) => (
                <label key={et.id} className="hbp-check" htmlFor={`${id}-${et.id}`}>
                  <input id={`${id}-${et.id}`} type="checkbox" checked={selected.includes(et.id)} onChange={(e) => toggle(et.id, e.target.checked)} />
                  <span>
                    <span className="hbp-mono">{et.name}</span>
                    {et.description ? <span className="hbp-muted"> — {et.description}</span> : null}
                  </span>
                </label>
              ))}
            </fieldset>
          );
        })}
      </div>
      <div className="hbp-row" style={{ marginTop: 12 }}>
        <button type="button" className="hbp-button hbp-button-primary" disabled={!dirty || saving} onClick={() => void submit()}>
          {saving ? 'Saving…' : 'Save subscriptions'}
        </button>
        {selected.length > 0 ? (
          <button type="button" className="hbp-button" onClick={() => (setSaved(false), setSelected([]))}>
            Receive all event types
          </button>
        ) : null}
        {saved && !dirty ? <span role="status">Subscriptions saved.</span> : null}
      </div>
      {saveError ? (
        <p className="hbp-field-error" role="alert">
          {saveError}
        </p>
      ) : null}
    </section>
  );
};
