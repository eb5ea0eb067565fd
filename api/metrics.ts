/** A few counters and gauges in Prometheus' text format; every role adds its own. */
export class Metrics {
  private readonly counters = new Map<string, { help: string; values: Map<string, number> }>();
  private readonly gauges = new Map<string, { help: string; read: () => Promise<Record<string, number>> | Record<string, number> }>();

  inc(name: string, help: string, labels: Readonly<Record<string, string>> = {}, by = 1): void {
    let c = this.counters.get(name);
    if (!c) {
      c = { help, values: new Map() };
      this.counters.set(name, c);
    }
    const key = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`).join(',');
    c.values.set(key, (c.values.get(key) ?? 0) + by);
  }

  /** `read` returns label-string → value, e.g. {'projection="outbound"': 3}. */
  gauge(name: string, help: string, read: () => Promise<Record<string, number>> | Record<string, number>): void {
    this.gauges.set(name, { help, read });
  }

  async render(): Promise<string> {
    const lines: string[] = [];
    for (const [name, c] of this.counters) {
      lines.push(`# HELP ${name} ${c.help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of c.values) lines.push(`${name}${labels ? `{${labels}}` : ''} ${v}`);
    }
    for (const [name, g] of this.gauges) {
      lines.push(`# HELP ${name} ${g.help}`, `# TYPE ${name} gauge`);
      for (const [labels, v] of Object.entries(await g.read())) lines.push(`${name}${labels ? `{${labels}}` : ''} ${v}`);
    }
    return `${lines.join('\n')}\n`;
  }
}
