/**
 * What the write path offers the operations above it: `add` resolves once the items are committed
 * (an acknowledgement means durable); `backlog` is how many wait, for backpressure.
 */
export interface Writer<T> {
  add(items: T[]): Promise<void>;
  readonly backlog: number;
}
