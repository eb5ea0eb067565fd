/** The magic link carries the token in the fragment (#token=…), which never reaches a server log. It is taken out
 *  of the address bar at once (history, bookmarks, screen shares) and kept for this tab only (sessionStorage). */
const KEY = 'hookbase-portal-token';

export const takeToken = (): string | null => {
  const params = new URLSearchParams(window.location.hash.replace(/^#/, ''));
  const fromLink = params.get('token');
  if (fromLink) {
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    try {
      window.sessionStorage.setItem(KEY, fromLink);
    } catch {
      // Storage may be blocked; the token still works until the tab reloads.
    }
    return fromLink;
  }
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
};

export const forgetToken = (): void => {
  try {
    window.sessionStorage.removeItem(KEY);
  } catch {
    // nothing stored
  }
};
