/**
 * Who asked to hear of an event, told in the order they asked: how a module
 * lets modules built after it react (uploads stored, an answer replaced)
 * without knowing them.
 */
export class Listeners<TArgs extends unknown[]> {
  private readonly listeners: Array<(...args: TArgs) => void> = [];

  add(listener: (...args: TArgs) => void): void {
    this.listeners.push(listener);
  }

  readonly tell = (...args: TArgs): void => {
    for (const listener of this.listeners) listener(...args);
  };
}
