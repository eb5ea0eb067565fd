import { useState } from 'react';
import type { KeyboardEvent } from 'react';
import { usePortalStore } from '../context';
import { useApplication } from '../hooks/useApplication';
import { EndpointDetail } from './EndpointDetail';
import { EndpointForm } from './EndpointForm';
import { EndpointList } from './EndpointList';
import { EventTypeList } from './EventTypeList';
import { MessageLog } from './MessageLog';

type Tab = 'endpoints' | 'event-types' | 'messages';

const tabs: { id: Tab; label: string }[] = [
  { id: 'endpoints', label: 'Endpoints' },
  { id: 'event-types', label: 'Event types' },
  { id: 'messages', label: 'Delivery history' },
];

/** The whole portal, as <HookbasePortal> renders it without children (and the hosted page shows it). */
export const PortalLayout = ({ refreshInterval = 5000 }: { refreshInterval?: number }) => {
  const { application } = useApplication();
  const selected = usePortalStore((s) => s.selectedEndpointId);
  const select = usePortalStore((s) => s.selectEndpoint);
  const loadEndpoints = usePortalStore((s) => s.loadEndpoints);
  const [tab, setTab] = useState<Tab>('endpoints');
  const [adding, setAdding] = useState(false);
  // Arrow keys move between tabs (the WAI-ARIA tabs pattern); Tab moves on to the panel.
  const onTabKey = (event: KeyboardEvent<HTMLButtonElement>) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    const index = (tabs.findIndex((t) => t.id === tab) + step + tabs.length) % tabs.length;
    const next = tabs[index];
    if (!next) return;
    setTab(next.id);
    document.getElementById(`hbp-tab-${next.id}`)?.focus();
  };

  return (
    <div className="hbp-app">
      <header className="hbp-header">
        <div>
          <div className="hbp-muted">{application?.name ?? '\u00a0'}</div>
          <h1>Webhooks</h1>
        </div>
      </header>
      <div className="hbp-tabs" role="tablist" aria-label="Portal sections">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`hbp-tab-${t.id}`}
            aria-selected={tab === t.id}
            tabIndex={tab === t.id ? 0 : -1}
            onKeyDown={onTabKey}
            aria-controls={`hbp-panel-${t.id}`}
            className="hbp-tab"
            onClick={() => setTab(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`hbp-panel-${tab}`} aria-labelledby={`hbp-tab-${tab}`}>
        {tab === 'endpoints' && selected ? <EndpointDetail endpointId={selected} onBack={() => (select(null), void loadEndpoints())} /> : null}
        {tab === 'endpoints' && !selected ? (
          <>
            <div className="hbp-spread" style={{ marginBottom: 12 }}>
              <h2 style={{ margin: 0 }}>Endpoints</h2>
              <button type="button" className="hbp-button hbp-button-primary" aria-expanded={adding} onClick={() => setAdding(!adding)}>
                {adding ? 'Close' : 'New endpoint'}
              </button>
            </div>
            {adding ? <EndpointForm /> : null}
            <section className="hbp-card" aria-label="Endpoint list">
              <EndpointList />
            </section>
          </>
        ) : null}
        {tab === 'event-types' ? <EventTypeList /> : null}
        {tab === 'messages' ? <MessageLog limit={25} refreshInterval={refreshInterval} /> : null}
      </div>
    </div>
  );
};
