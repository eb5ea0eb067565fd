import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import WebhookSettings from './WebhookSettings';
import './app.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <main className="page">
      <h1>Acme settings</h1>
      <WebhookSettings />
    </main>
  </StrictMode>,
);
