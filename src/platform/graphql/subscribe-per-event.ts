import { createSourceEventStream, execute, type ExecutionArgs, type ExecutionResult } from 'graphql';

/**
 * graphql-js's `subscribe`, except that each event is executed with a context
 * made for that event. graphql-js reuses one context for the whole stream, so
 * its per-operation DataLoaders would serve every later event the rows cached
 * by the first (a job's final event listing no captions, items still PENDING).
 * Written here because graphql 16 offers no hook for it; `createSourceEventStream`
 * and `execute` are its public halves of `subscribe`.
 */
export async function subscribePerEvent(
  args: ExecutionArgs,
  contextForEvent: () => unknown,
): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in stream)) return stream as ExecutionResult;
  const events = stream[Symbol.asyncIterator]();
  const executeEvent = async (event: unknown) => (await execute({ ...args, rootValue: event, contextValue: contextForEvent() })) as ExecutionResult;
  // return() reaches the source at once, even while next() waits for an event
  // (an async generator would only see it after that event), so a client's
  // `complete` frees the job's event stream immediately.
  const results: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      const step = await events.next();
      return step.done ? { done: true, value: undefined } : { done: false, value: await executeEvent(step.value) };
    },
    return: async () => {
      await events.return?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return results;
    },
  };
  return results;
}
