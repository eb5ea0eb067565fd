import type { JsonObject } from './json.js';

/** Commands carry the clock and the new ids in their metadata: a decider never reads a clock or a random source. */
export type CommandMetadata = Readonly<{ now: string }>;

export type Command<Type extends string, Data> = Readonly<{ type: Type; data: Readonly<Data>; metadata: CommandMetadata }>;

export type Event<Type extends string, Data extends JsonObject> = Readonly<{ type: Type; data: Readonly<Data> }>;

/** After Emmett: two pure functions and an initial state. */
export type Decider<State, C, E> = Readonly<{
  decide: (command: C, state: State) => readonly E[];
  evolve: (state: State, event: E) => State;
  initialState: () => State;
}>;
