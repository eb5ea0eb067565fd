export const LoadingState = ({ label }: { label: string }) => (
  <div className="hbp-state" role="status" aria-live="polite">
    <span className="hbp-spinner" aria-hidden="true" />
    {label}
  </div>
);
