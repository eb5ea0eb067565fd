/** Shown for an expired, revoked or missing token: a dead end should say what to do next. */
export const ExpiredPage = ({ reason }: { reason: 'expired' | 'revoked' | 'missing' | 'invalid' }) => {
  const title = reason === 'missing' ? 'No access link' : reason === 'revoked' ? 'This link has been revoked' : 'This link has expired';
  const detail =
    reason === 'missing'
      ? 'Open the webhook settings from the link you were given; the link itself carries your access.'
      : 'Links to the webhook settings work for a limited time. Go back to the app that sent you here and open the webhook settings again to get a fresh link.';
  return (
    <main className="hbp-app">
      <div className="hbp-card hbp-expired" role="alert" aria-labelledby="hbp-expired-title">
        <svg className="hbp-expired-icon" viewBox="0 0 48 48" width="48" height="48" aria-hidden="true">
          <circle cx="24" cy="26" r="16" fill="none" stroke="currentColor" strokeWidth="3" />
          <path d="M24 16v10l7 5M19 6h10" fill="none" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
        </svg>
        <h1 id="hbp-expired-title">{title}</h1>
        <p className="hbp-muted">{detail}</p>
      </div>
    </main>
  );
};
