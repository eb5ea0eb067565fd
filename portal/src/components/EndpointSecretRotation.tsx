import { useState } from 'react';
import { usePortalStore } from '../context';
import { SecretReveal } from './SecretReveal';

export interface EndpointSecretRotationProps {
  endpointId: string;
  onRotated?: (secret: string) => void;
}

/** Replaces the endpoint's signing secret; the new one is shown once. */
export const EndpointSecretRotation = ({ endpointId, onRotated }: EndpointSecretRotationProps) => {
  const rotate = usePortalStore((s) => s.rotateSecret);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      const next = await rotate(endpointId);
      setSecret(next);
      setConfirming(false);
      onRotated?.(next);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="hbp-card" aria-label="Signing secret">
      <div className="hbp-card-title">Signing secret</div>
      <p className="hbp-muted">Rotate the secret if it may have leaked. Update your receiver with the new one.</p>
      {confirming ? (
        <div className="hbp-row">
          <span>Replace the current secret?</span>
          <button type="button" className="hbp-button hbp-button-danger" disabled={busy} onClick={() => void run()}>
            {busy ? 'Rotating…' : 'Yes, rotate secret'}
          </button>
          <button type="button" className="hbp-button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <button type="button" className="hbp-button" onClick={() => setConfirming(true)}>
          Rotate secret
        </button>
      )}
      {error ? (
        <p className="hbp-field-error" role="alert">
          {error}
        </p>
      ) : null}
      {secret ? <SecretReveal secret={secret} onDone={() => setSecret(null)} /> : null}
    </section>
  );
};
