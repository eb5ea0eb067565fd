import type { ReactNode } from 'react';

export const EmptyState = ({ title, children }: { title: string; children?: ReactNode }) => (
  <div className="hbp-state">
    <div className="hbp-state-title">{title}</div>
    {children ? <div>{children}</div> : null}
  </div>
);
