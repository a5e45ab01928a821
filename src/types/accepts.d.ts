/** The part of `accepts` (Express's content negotiation, used on plain node:http requests) the gateway calls. */
declare module 'accepts' {
  import type { IncomingMessage } from 'node:http';

  interface Accepts {
    /** The first of `types` the request accepts best, or false when it accepts none. */
    types(types: string[]): string | false;
  }

  export default function accepts(request: IncomingMessage): Accepts;
}
