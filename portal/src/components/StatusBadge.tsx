import type { MessageStatus } from '../api/types';

const labels: Record<MessageStatus, { text: string; tone: string }> = {
  success: { text: 'Delivered', tone: 'success' },
  pending: { text: 'Pending', tone: 'info' },
  processing: { text: 'Sending', tone: 'info' },
  failed: { text: 'Retrying', tone: 'warning' },
  exhausted: { text: 'Failed', tone: 'danger' },
};

export const messageStatusLabel = (status: MessageStatus): string => labels[status]?.text ?? status;

export const StatusBadge = ({ status }: { status: MessageStatus }) => {
  const { text, tone } = labels[status] ?? { text: status, tone: '' };
  return <span className={`hbp-badge hbp-badge-${tone}`} data-status={status}>{text}</span>;
};
