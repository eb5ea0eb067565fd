import { expect } from 'vitest';
import type { Decider } from '../decider';
import { DomainError } from '../errors';
import type { DomainErrorKind } from '../errors';

/** What a test expects of a domain error: its kind and code, and for a validation error the field and rule. */
export type ExpectedError = Readonly<{ kind: DomainErrorKind; code: string; field?: string; rule?: string }>;

// Freezing what the decider is handed makes a mutating `evolve` or `decide` throw instead of passing silently.
const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
};

const fold = <State, C, E>(decider: Decider<State, C, E>, events: readonly E[]): State =>
  events.reduce((state, event) => deepFreeze(decider.evolve(state, deepFreeze(event))), deepFreeze(decider.initialState()));

/**
 * After Emmett's DeciderSpecification: `given(events).when(command).then(events)` or `.thenThrows(...)`.
 * `then` returns the state after the given and the new events, for the few tests that look at it.
 */
export const deciderSpec = <State, C, E>(decider: Decider<State, C, E>) => ({
  given: (events: readonly E[]) => ({
    when: (command: C) => {
      const decide = (): readonly E[] => decider.decide(deepFreeze(command), fold(decider, events));
      return {
        then: (expected: readonly E[]): State => {
          const produced = decide();
          expect(produced).toEqual(expected);
          return fold(decider, [...events, ...produced]);
        },
        thenThrows: (expected: ExpectedError | ((error: DomainError) => boolean)): void => {
          let thrown: unknown = undefined;
          try {
            decide();
          } catch (error) {
            thrown = error;
          }
          expect(thrown, 'the command should have been rejected').toBeInstanceOf(DomainError);
          const error = thrown as DomainError;
          if (typeof expected === 'function') {
            expect(expected(error), `unexpected error: ${error.code} ${error.message}`).toBe(true);
            return;
          }
          const { kind, code, field, rule } = expected;
          expect({ kind: error.kind, code: error.code }).toEqual({ kind, code });
          const detail = { ...(field === undefined ? {} : { field }), ...(rule === undefined ? {} : { rule }) };
          if (field !== undefined || rule !== undefined) expect(error.details).toContainEqual(expect.objectContaining(detail));
        },
      };
    },
  }),
});
