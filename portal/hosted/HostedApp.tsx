import { useCallback, useState } from 'react';
import { HookbasePortal, PortalApiError } from '../src/index';
import { ExpiredPage } from './ExpiredPage';
import { forgetToken, takeToken } from './sessionToken';

const prefersDark = () => typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches;

type DeadReason = 'expired' | 'revoked' | 'missing' | 'invalid';

export const HostedApp = () => {
  const [token] = useState(takeToken);
  const [dead, setDead] = useState<DeadReason | null>(token ? null : 'missing');
  const [theme, setTheme] = useState<'light' | 'dark'>(prefersDark() ? 'dark' : 'light');

  const onError = useCallback((error: Error) => {
    if (!(error instanceof PortalApiError) || !error.isAuthError) return;
    forgetToken();
    setDead(error.code === 'token_revoked' ? 'revoked' : error.code === 'token_expired' ? 'expired' : 'invalid');
  }, []);

  return (
    <div className="hbp-root hbp-page" data-theme={theme}>
      <div className="hbp-theme-toggle">
        <button type="button" className="hbp-button" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
      </div>
      {dead || !token ? <ExpiredPage reason={dead ?? 'missing'} /> : <HookbasePortal token={token} theme={theme} onError={onError} />}
    </div>
  );
};
