import { useEffect, useRef, useState } from 'react';
import type { HealthBucket } from '../store/selectors';
import { formatLatency } from './format';

const H = 200;
const PAD = { top: 12, right: 56, bottom: 28, left: 44 };

const timeLabel = (ms: number, spanMs: number) =>
  new Date(ms).toLocaleString(undefined, spanMs > 36 * 3600_000 ? { month: 'short', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' });

/** Success rate per time bucket as stacked bars (delivered / failed share) and mean latency as a line. */
export const HealthChart = ({ buckets, spanMs, label }: { buckets: HealthBucket[]; spanMs: number; label: string }) => {
  // Drawn at the width it is shown at, so labels keep their size on a phone.
  const box = useRef<HTMLDivElement>(null);
  const [W, setW] = useState(640);
  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(([entry]) => entry && setW(Math.max(260, Math.round(entry.contentRect.width))));
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const barW = plotW / Math.max(1, buckets.length);
  const maxLatency = Math.max(1, ...buckets.map((b) => b.latencyMs ?? 0));
  const y = (share: number) => PAD.top + plotH * (1 - share);
  const points = buckets
    .map((b, i) => (b.latencyMs === null ? null : { x: PAD.left + barW * (i + 0.5), y: y(b.latencyMs / maxLatency) }))
    .filter((p): p is { x: number; y: number } => p !== null);
  const first = buckets[0];
  return (
    <div ref={box}>
    <svg className="hbp-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      <title>{label}</title>
      {[0, 0.5, 1].map((share) => (
        <g key={share}>
          <line className="hbp-grid" x1={PAD.left} x2={W - PAD.right} y1={y(share)} y2={y(share)} />
          <text x={PAD.left - 6} y={y(share) + 4} textAnchor="end">
            {Math.round(share * 100)}%
          </text>
          <text x={W - PAD.right + 6} y={y(share) + 4}>
            {formatLatency(maxLatency * share)}
          </text>
        </g>
      ))}
      {buckets.map((b, i) => {
        const finished = b.delivered + b.failed;
        if (finished === 0) return null;
        const x = PAD.left + barW * i + barW * 0.15;
        const okShare = b.delivered / finished;
        return (
          <g key={b.start}>
            <rect className="hbp-bar-fail" x={x} width={barW * 0.7} y={y(1)} height={plotH * (1 - okShare)} />
            <rect className="hbp-bar-ok" x={x} width={barW * 0.7} y={y(okShare)} height={plotH * okShare} />
          </g>
        );
      })}
      {points.length > 1 ? <polyline className="hbp-line" points={points.map((p) => `${p.x},${p.y}`).join(' ')} /> : null}
      {points.map((p) => (
        <circle key={p.x} className="hbp-dot" cx={p.x} cy={p.y} r={3} />
      ))}
      {first ? (
        <>
          <text x={PAD.left} y={H - 8}>
            {timeLabel(first.start, spanMs)}
          </text>
          <text x={W - PAD.right} y={H - 8} textAnchor="end">
            now
          </text>
        </>
      ) : null}
    </svg>
    </div>
  );
};
