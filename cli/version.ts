/** Hookbase's version (the start banner, the User-Agent of webhooks, the traces' `service.version`). */
export const VERSION = '0.1.0';
