/**
 * Makes `onClose` run as soon as the stream is closed (GraphQL subscriptions
 * end by calling `return()`): a generator closed while it waits for its next
 * value, or before its first read, would otherwise see it only later, or
 * never run its finally block at all.
 */
export function closeEarly<T>(stream: AsyncGenerator<T>, onClose: () => void): AsyncGenerator<T> {
  const close = stream.return.bind(stream);
  stream.return = (value) => {
    onClose();
    return close(value);
  };
  return stream;
}
