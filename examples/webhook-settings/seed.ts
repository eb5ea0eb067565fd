import { Hookbase } from '@hookbase/sdk';

/** The demo customer's application and a few event types in two categories, created if missing. */
export const seedDemo = async (hookbaseUrl: string, apiKey: string): Promise<string> => {
  const hookbase = new Hookbase({ apiKey, baseUrl: hookbaseUrl });
  const app = await hookbase.applications.getOrCreate('demo-customer', { name: 'Demo customer' });
  const eventTypes = [
    { name: 'order.created', category: 'orders', description: 'An order was placed' },
    { name: 'order.shipped', category: 'orders', description: 'An order left the warehouse' },
    { name: 'invoice.paid', category: 'invoices', description: 'An invoice was paid' },
    { name: 'invoice.overdue', category: 'invoices', description: 'An invoice is past its due date' },
  ];
  for (const et of eventTypes) {
    try {
      await hookbase.eventTypes.create(et);
    } catch {
      // exists already
    }
  }
  return app.id;
};
