export const ErrorState = ({ title, message, onRetry }: { title: string; message: string; onRetry?: () => void }) => (
  <div className="hbp-state hbp-state-error" role="alert">
    <div className="hbp-state-title">{title}</div>
    <p>{message}</p>
    {onRetry ? (
      <button type="button" className="hbp-button" onClick={onRetry}>
        Try again
      </button>
    ) : null}
  </div>
);
