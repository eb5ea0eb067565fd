import { useState } from 'react';
import { usePortalContext } from '../context';

/**
 * "Download receipt" on an attempt: the signed receipt (issue 18; docs/audit.md) through the portal API, scoped by the
 * token, saved as a JSON file that anyone verifies offline against the service's public key.
 */
export const DownloadReceipt = ({ messageId, attemptNumber }: { messageId: string; attemptNumber: number }) => {
  const { client } = usePortalContext();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const download = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const text = await client.receipt(messageId, attemptNumber);
      const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `receipt-${messageId}-attempt-${attemptNumber}.json`;
      document.body.appendChild(link);
      link.click();
      link.remove();
      // The browser reads the blob after the click returns: revoke it later, not now.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="hbp-receipt">
      <button type="button" className="hbp-button hbp-button-small" onClick={() => void download()} disabled={busy} aria-label={`Download receipt of attempt ${attemptNumber}`}>
        {busy ? 'Preparing…' : 'Download receipt'}
      </button>
      {error ? <span className="hbp-field-error" role="alert">{error}</span> : null}
    </span>
  );
};
