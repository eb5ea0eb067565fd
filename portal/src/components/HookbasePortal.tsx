import { useEffect, useMemo, useRef } from 'react';
import type { CSSProperties, ReactNode } from 'react';
import { useStore } from 'zustand';
import { PortalClient } from '../api/client';
import { PortalContext } from '../context';
import { createPortalStore } from '../store/store';
import { AuthExpiredNotice } from './AuthExpiredNotice';
import { PortalLayout } from './PortalLayout';

/** 'light', 'dark', or CSS variables (`{'--hbp-accent': '#0a7'}` or `{accent: '#0a7'}`) over the light theme. */
export type PortalTheme = 'light' | 'dark' | (Record<string, string> & { mode?: 'light' | 'dark' });

export interface HookbasePortalProps {
  /** A portal token (whpt_…) from your backend. */
  token: string;
  /** Where the portal API is; default: this page's origin (proxy /portal to Hookbase). */
  apiUrl?: string;
  theme?: PortalTheme;
  /** Every failed API call, e.g. to send it to your error tracker; a 401 means the token expired or was revoked. */
  onError?: (error: Error) => void;
  /** Your own layout of portal components; without children the full portal is shown. */
  children?: ReactNode;
  className?: string;
}

const themeStyle = (theme: PortalTheme | undefined): CSSProperties | undefined => {
  if (!theme || typeof theme === 'string') return undefined;
  const vars = Object.entries(theme).filter(([key]) => key !== 'mode');
  return Object.fromEntries(vars.map(([key, value]) => [key.startsWith('--') ? key : `--hbp-${key}`, value])) as CSSProperties;
};

export const HookbasePortal = ({ token, apiUrl, theme = 'light', onError, children, className }: HookbasePortalProps) => {
  const listeners = useRef<{ onError: ((error: Error) => void) | undefined }>({ onError });
  listeners.current.onError = onError;
  const base = apiUrl ?? (typeof window === 'undefined' ? '' : window.location.origin);
  // A new token or API address is a new session: fresh client and store.
  const value = useMemo(() => {
    const client = new PortalClient(token, base);
    return { client, store: createPortalStore(client, listeners.current) };
  }, [token, base]);
  const authError = useStore(value.store, (s) => s.authError);
  useEffect(() => {
    void value.store.getState().loadApplication();
  }, [value]);

  const mode = typeof theme === 'string' ? theme : (theme.mode ?? 'light');
  return (
    <PortalContext.Provider value={value}>
      <div className={['hbp-root', className].filter(Boolean).join(' ')} data-theme={mode} data-embedded={children ? '' : undefined} style={themeStyle(theme)}>
        {authError ? <AuthExpiredNotice error={authError} /> : (children ?? <PortalLayout />)}
      </div>
    </PortalContext.Provider>
  );
};
