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
        <div className="hbp-expired-icon" aria-hidden="true">
          ⏱
        </div>
        <h1 id="hbp-expired-title">{title}</h1>
        <p className="hbp-muted">{detail}</p>
      </div>
    </main>
  );
};
