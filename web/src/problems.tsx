import { CombinedGraphQLErrors, ServerError } from '@apollo/client';

/** One error as the console shows it: the gateway's code, and what to do. */
export interface Problem {
  code: string | undefined;
  message: string;
}

/** graphql-ws close codes the gateway uses (websocket.ts), as the codes HTTP would have answered. */
const CLOSE_CODES: Record<string, string> = { '4401': 'UNAUTHENTICATED', '4429': 'RATE_LIMITED' };

function advice(code: string | undefined, message: string, extensions: Record<string, unknown> = {}): string {
  if (code === 'UNAUTHENTICATED') {
    return `This gateway needs an API key: paste one into the API key field at the top (an operator creates keys with npm run keys -- create --tenant NAME). ${message}`;
  }
  if (code === 'RATE_LIMITED') {
    const wait = typeof extensions.retryAfter === 'number' ? `Try again in ${extensions.retryAfter} s.` : 'Try again later.';
    return `This key's rate limit or daily token budget is spent. ${wait} ${message}`;
  }
  return message;
}

/** Every error Apollo Client 4 can raise, as coded problems (the gateway's error bodies arrive as CombinedGraphQLErrors). */
export function problemsOf(error: unknown): Problem[] {
  if (!error) return [];
  if (CombinedGraphQLErrors.is(error)) {
    return error.errors.map((e) => {
      const code = typeof e.extensions?.code === 'string' ? e.extensions.code : undefined;
      return { code, message: advice(code, e.message, e.extensions) };
    });
  }
  if (ServerError.is(error)) return [{ code: `HTTP ${error.statusCode}`, message: error.message }];
  const message = error instanceof Error ? error.message : String(error);
  const closed = /Socket closed with event (\d+)\s*(.*)/.exec(message);
  if (closed) {
    const code = CLOSE_CODES[closed[1]!];
    return [{ code, message: advice(code, closed[2] || `The live connection closed (${closed[1]}).`) }];
  }
  if (/Failed to fetch|NetworkError|Load failed/i.test(message)) {
    return [{ code: undefined, message: 'The gateway cannot be reached. Is it running?' }];
  }
  return [{ code: undefined, message }];
}

export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  const problems = problemsOf(error);
  if (problems.length === 0) return null;
  return (
    <div className="notice error" role="alert">
      {title && <strong>{title} </strong>}
      <ul>
        {problems.map((p, i) => (
          <li key={i}>
            {p.code && <code className="code">{p.code}</code>} {p.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
