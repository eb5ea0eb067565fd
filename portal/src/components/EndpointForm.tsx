import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { PortalApiError } from '../api/client';
import type { PortalEndpoint } from '../api/types';
import { usePortalStore } from '../context';
import { SecretReveal } from './SecretReveal';

export interface EndpointFormProps {
  /** Edit this endpoint; without it the form creates one. */
  endpoint?: PortalEndpoint;
  /** After a save; `secret` is the new endpoint's signing secret (create only), never available again. */
  onSuccess?: (endpoint: PortalEndpoint, secret: string | undefined) => void;
  onCancel?: () => void;
}

const urlProblem = (value: string): string | null => {
  if (!value.trim()) return 'Enter the URL webhooks should be sent to.';
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'The URL must start with https:// or http://.';
  } catch {
    return 'Enter a full URL, such as https://example.com/webhooks.';
  }
};

export const EndpointForm = ({ endpoint, onSuccess, onCancel }: EndpointFormProps) => {
  const id = useId();
  const create = usePortalStore((s) => s.createEndpoint);
  const update = usePortalStore((s) => s.updateEndpoint);
  const [url, setUrl] = useState(endpoint?.url ?? '');
  const [description, setDescription] = useState(endpoint?.description ?? '');
  const [urlError, setUrlError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  const editing = endpoint !== undefined;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problem = urlProblem(url);
    setUrlError(problem);
    setFormError(null);
    if (problem) return;
    setSaving(true);
    try {
      const text = description.trim();
      if (editing) {
        const saved = await update(endpoint.id, { url: url.trim(), description: text });
        onSuccess?.(saved, undefined);
      } else {
        const { secret: newSecret, ...created } = await create(text ? { url: url.trim(), description: text } : { url: url.trim() });
        setSecret(newSecret);
        setUrl('');
        setDescription('');
        onSuccess?.(created, newSecret);
      }
    } catch (error) {
      const fieldError = error instanceof PortalApiError ? error.fieldErrors.url?.[0] : undefined;
      if (fieldError) setUrlError(fieldError);
      else setFormError(error instanceof Error ? error.message : String(error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form className="hbp-card" onSubmit={(e) => void submit(e)} noValidate aria-label={editing ? 'Edit endpoint' : 'Add endpoint'}>
      <div className="hbp-card-title">{editing ? 'Edit endpoint' : 'Add an endpoint'}</div>
      <div className="hbp-field">
        <label htmlFor={`${id}-url`}>Endpoint URL</label>
        <input
          id={`${id}-url`}
          className="hbp-input"
          type="url"
          inputMode="url"
          placeholder="https://example.com/webhooks"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          aria-invalid={urlError ? true : undefined}
          aria-describedby={urlError ? `${id}-url-error` : undefined}
          required
        />
        {urlError ? (
          <span id={`${id}-url-error`} className="hbp-field-error">
            {urlError}
          </span>
        ) : null}
      </div>
      <div className="hbp-field">
        <label htmlFor={`${id}-description`}>Description (optional)</label>
        <input id={`${id}-description`} className="hbp-input" value={description} onChange={(e) => setDescription(e.target.value)} />
      </div>
      {formError ? (
        <p className="hbp-field-error" role="alert">
          {formError}
        </p>
      ) : null}
      <div className="hbp-row">
        <button type="submit" className="hbp-button hbp-button-primary" disabled={saving}>
          {saving ? 'Saving…' : editing ? 'Save changes' : 'Add endpoint'}
        </button>
        {onCancel ? (
          <button type="button" className="hbp-button" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
      {secret ? <SecretReveal secret={secret} onDone={() => setSecret(null)} /> : null}
    </form>
  );
};
