/**
 * What matching a request's route costs: `npx tsx bench/routeMatch.ts`. Matches a mix of paths of every API surface
 * (hits, 405s, misses) against the full route table, after a warm-up, and prints nanoseconds per match.
 */
import { allRoutes } from '../api/app';
import { routeMatcher } from '../api/router';

const PATHS: readonly (readonly [string, string])[] = [
  ['POST', '/v1/applications/app_01M8M94YQVJ434GPEAYZFB8YDT/messages'],
  ['GET', '/v1/applications/app_01M8M94YQVJ434GPEAYZFB8YDT/messages/msg_01M8M94YTP751H25CRBSZ8CCA1'],
  ['GET', '/v1/applications'],
  ['GET', '/portal/endpoints'],
  ['POST', '/api/v1/app/app_1/msg/'],
  ['DELETE', '/v1/applications/app_1/messages'],
  ['GET', '/v1/nothing/here'],
];

export const nsPerMatch = (match: (method: string, path: string) => unknown, rounds = 200_000): number => {
  for (let i = 0; i < 20_000; i++) for (const [m, p] of PATHS) match(m, p);
  const started = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const [m, p] of PATHS) match(m, p);
  return Number(process.hrtime.bigint() - started) / (rounds * PATHS.length);
};

if (process.argv[1]?.endsWith('routeMatch.ts')) {
  const { match } = routeMatcher(allRoutes);
  console.log(`@koa/router over ${allRoutes.length} routes: ${nsPerMatch(match).toFixed(0)} ns per match`);
}
