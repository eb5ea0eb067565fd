import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import '../src/styles.css';
import './hosted.css';
import { HostedApp } from './HostedApp';

const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <HostedApp />
    </StrictMode>,
  );
}
