/** Where long work reports: a bar redrawn in place on a terminal, plain lines (at most one a second) otherwise. */
export type Progress = Readonly<{ update: (done: number, total: number, detail: string) => void; finish: (line: string) => void }>;

const BAR_WIDTH = 30;

export const progressReporter = (out: NodeJS.WriteStream = process.stderr, label: string): Progress => {
  if (out.isTTY) {
    return {
      update: (done, total, detail) => {
        const ratio = total > 0 ? Math.min(1, done / total) : 0;
        const filled = Math.round(ratio * BAR_WIDTH);
        out.write(`\r\x1b[2K${label} [${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${detail}`);
      },
      finish: (line) => out.write(`\r\x1b[2K${line}\n`),
    };
  }
  let lastLine = 0;
  return {
    update: (done, total, detail) => {
      if (Date.now() - lastLine < 1000) return;
      lastLine = Date.now();
      const percent = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
      out.write(`${label}: ${percent}% ${detail}\n`);
    },
    finish: (line) => out.write(`${line}\n`),
  };
};
