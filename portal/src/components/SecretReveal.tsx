import { useState } from 'react';

/** The signing secret, shown once: after "Done" it cannot be seen again (only rotated). */
export const SecretReveal = ({ secret, onDone }: { secret: string; onDone: () => void }) => {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <div className="hbp-secret" role="region" aria-label="Signing secret">
      <strong>Save this signing secret now.</strong> It is shown only once; you need it to verify webhook signatures.
      <code data-testid="hbp-secret">{secret}</code>
      <div className="hbp-row">
        <button type="button" className="hbp-button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy secret'}
        </button>
        <button type="button" className="hbp-button hbp-button-primary" onClick={onDone}>
          I have saved it
        </button>
      </div>
    </div>
  );
};
